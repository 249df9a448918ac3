"""Wrong: sums the per-draw gradients instead of averaging."""
# expect-fail: 1.8 2.15 2.16


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    th = theta.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(f(th, v)).sum(), th)
    return g
