"""Wrong: always returns float32."""
# expect-fail: 2.16 2.17


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    th = theta.detach().float().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(loss(f(th, v.float())).mean(), th)
    return g
