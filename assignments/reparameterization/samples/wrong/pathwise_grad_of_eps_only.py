"""Wrong: differentiates eps^2 instead of (theta + eps)^2: averages 2 eps."""
# expect-fail: 1.4 2.10


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    eps = torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (2 * eps).mean(dim=0)
