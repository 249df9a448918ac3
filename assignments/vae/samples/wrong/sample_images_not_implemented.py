"""Sample submission with a mistake: sample_images left as a TODO while everything else is right.
Training must keep its points: only the sample_images tests may fail.
"""
# expect-fail: 1.7 2.11 2.13


def sample_images(model: VAE, n: int, device: str = "cpu") -> Tensor:
    raise NotImplementedError
