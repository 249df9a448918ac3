"""Wrong: subtracts the baseline E[f] = theta^2 + 1 (a control variate the contract excludes)."""
# expect-fail: 1.7 2.14


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return ((x**2 - (theta**2 + 1)) * (x - theta)).mean(dim=0)
