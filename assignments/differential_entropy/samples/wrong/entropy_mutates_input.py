"""Wrong: takes the log of sigma in place (sigma.log_()), changing the caller's tensor."""
# expect-fail: 1.1 2.1 2.2 2.3


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return sigma.log_() + 0.5 * math.log(2 * math.pi * math.e)
