"""Wrong: one draw per entry, ignoring n_samples."""
# expect-fail: 1.5 2.11


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn_like(theta)
    return 2 * x
