"""Wrong: multiplies f(x) by log p(x) instead of by the score."""
# expect-fail: 1.6 1.7 2.13 2.14


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    log_p = -0.5 * (x - theta) ** 2 - 0.5 * math.log(2 * math.pi)
    return (x**2 * log_p).mean(dim=0)
