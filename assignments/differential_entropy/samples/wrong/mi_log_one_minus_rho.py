"""Wrong: -(1/2) ln(1 - rho) instead of -(1/2) ln(1 - rho^2)."""
# expect-fail: 1.5 2.10 2.11


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    return -0.5 * torch.log(1 - rho)
