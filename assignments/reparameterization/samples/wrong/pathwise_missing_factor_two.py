"""Wrong: the pathwise estimate averages theta + eps_i, forgetting the 2 of d(x^2)/dtheta = 2x: the
estimates are half the right ones (average theta, variance 1 / n)."""
# expect-fail: 1.4 1.5 2.10 2.11


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    eps = torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (theta + eps).mean(dim=0)  # d(x^2)/dtheta = 2x: the 2 is missing
