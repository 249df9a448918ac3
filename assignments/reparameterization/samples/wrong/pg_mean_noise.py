"""Wrong: the gradient at the average draw instead of the average gradient."""
# expect-fail: 2.15 2.16


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    th = theta.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(f(th, v.mean(dim=0))), th)
    return g
