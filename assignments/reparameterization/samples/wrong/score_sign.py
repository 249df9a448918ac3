"""Wrong: score with the wrong sign, theta - x."""
# expect-fail: 1.6 2.13


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (x**2 * (theta - x)).mean(dim=0)
