"""Wrong: noise drawn uniform on [0, 1)."""
# expect-fail: 1.4 1.5 2.10 2.11


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.rand(n_samples, *theta.shape, dtype=theta.dtype)
    return (2 * x).mean(dim=0)
