"""Wrong: reuses one leaf and collects .grad after each backward without zeroing it."""
# expect-fail: 1.8 2.15 2.16


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    th = theta.detach().clone().requires_grad_(True)
    grads = []
    for v_i in v:
        loss(f(th, v_i)).backward()
        grads.append(th.grad.clone())  # mistake: th.grad keeps accumulating
    return torch.stack(grads).mean(dim=0)
