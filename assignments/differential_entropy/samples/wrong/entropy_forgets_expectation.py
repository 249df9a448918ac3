"""Wrong: forgets E[x^2 / 2 sigma^2] = 1/2: h = ln sigma + (1/2) ln(2 pi)."""
# expect-fail: 1.1 2.1 2.2


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return torch.log(sigma) + 0.5 * math.log(2 * math.pi)
