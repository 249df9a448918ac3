"""Wrong: mean(f) * mean(score) instead of mean(f * score)."""
# expect-fail: 1.6 1.7 2.13 2.14


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (x**2).mean(dim=0) * (x - theta).mean(dim=0)
