"""Sample submission with a mistake: sample_images_binary.

sample_images returns binary Bernoulli draws instead of the Bernoulli means.
"""
# expect-fail: 2.11


def sample_images(model: VAE, n: int, device: str = "cpu") -> Tensor:
    with torch.no_grad():
        z = torch.randn(n, model.z_dim, device=device)
        return torch.bernoulli(torch.sigmoid(model.decode(z)))
