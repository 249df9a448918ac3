"""Wrong: assumes theta is 1-D (theta[:, None])."""
# expect-fail: 2.9


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta[:, None] + torch.randn(theta.shape[0], n_samples, dtype=theta.dtype)
    return (2 * x).mean(dim=1)
