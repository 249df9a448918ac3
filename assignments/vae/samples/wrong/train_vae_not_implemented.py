"""Sample submission with a mistake: train_vae left as a TODO while everything else is right.
The sample_images tests must keep their points (2.11 samples without a trained model).
"""
# expect-fail: 1.6 2.8 2.9 2.10 2.14


def train_vae(model: VAE, data: Tensor, *, epochs: int, batch_size: int = 128,
              lr: float = 1e-3, device: str = "cpu") -> list[float]:
    raise NotImplementedError
