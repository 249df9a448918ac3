"""Wrong: returns a gradient still attached to the graph (create_graph=True)."""
# expect-fail: 1.9 2.17


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    th = theta.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(f(th, v)).mean(), th, create_graph=True)
    return g
