"""Wrong: score taken as x instead of x - theta."""
# expect-fail: 1.6 1.7 2.13 2.14


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (x**2 * x).mean(dim=0)
