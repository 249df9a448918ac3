"""Sample submission with a mistake: sample_images_logits."""
# expect-fail: 1.7 2.11


def sample_images(model: VAE, n: int, device: str = "cpu") -> Tensor:
    with torch.no_grad():
        z = torch.randn(n, model.z_dim, device=device)
        return model.decode(z)
