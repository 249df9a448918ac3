"""Wrong: ln sigma^2 where the formula has ln sigma."""
# expect-fail: 1.1 2.1 2.2 2.3


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return torch.log(sigma**2) + 0.5 * math.log(2 * math.pi * math.e)
