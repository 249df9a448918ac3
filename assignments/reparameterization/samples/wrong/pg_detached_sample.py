"""Wrong: detaches the sample x before the loss: no path back to theta."""
# expect-fail: 1.8 1.9 2.15 2.16 2.17


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    th = theta.detach().clone().requires_grad_(True)
    x = f(th, v).detach()
    (g,) = torch.autograd.grad(loss(x).mean(), th)
    return g
