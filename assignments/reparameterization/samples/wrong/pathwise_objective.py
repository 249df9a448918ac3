"""Wrong: estimates E[x^2] (the objective), not its gradient."""
# expect-fail: 1.4 1.5 2.10 2.11


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (x**2).mean(dim=0)
