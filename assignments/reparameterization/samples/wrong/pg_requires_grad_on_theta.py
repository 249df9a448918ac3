"""Wrong: sets requires_grad on theta itself and leaves it (and its .grad) behind."""
# expect-fail: 1.9 2.17


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    theta.requires_grad_(True)
    loss(f(theta, v)).mean().backward()
    return theta.grad.clone()
