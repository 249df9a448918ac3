"""Wrong: I = -ln(1 - rho^2), without the 1/2."""
# expect-fail: 1.5 2.10 2.11


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    return -torch.log(1 - rho**2)
