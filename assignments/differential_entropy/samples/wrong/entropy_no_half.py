"""Wrong: ln sigma + ln(2 pi e), without the 1/2 on the constant."""
# expect-fail: 1.1 2.1 2.2


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return torch.log(sigma) + math.log(2 * math.pi * math.e)
