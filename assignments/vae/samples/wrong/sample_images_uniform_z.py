"""Sample submission with a mistake: sample_images_uniform_z.

sample_images decodes uniform noise torch.rand instead of draws from the prior N(0, I).
"""
# expect-fail: 2.13


def sample_images(model: VAE, n: int, device: str = "cpu") -> Tensor:
    with torch.no_grad():
        z = torch.rand(n, model.z_dim, device=device)
        return torch.sigmoid(model.decode(z))
