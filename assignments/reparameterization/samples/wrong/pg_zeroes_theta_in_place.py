"""Wrong: pathwise_gradient starts its running sum with theta.detach().zero_(), taking it for a
fresh zero tensor; but detach() shares theta's memory, so zero_() and += overwrite theta itself.
The returned average is right; theta is not left as it was, in every test that calls the function."""
# expect-fail: 1.8 1.9 2.15 2.16 2.17


def pathwise_gradient(f: Callable[[Tensor, Tensor], Tensor], loss: Callable[[Tensor], Tensor],
                      theta: Tensor, v: Tensor) -> Tensor:
    theta_leaf = theta.detach().clone().requires_grad_(True)
    total = theta.detach().zero_()  # meant as zeros_like(theta), but it is theta's own memory
    for v_i in v:
        (g,) = torch.autograd.grad(loss(f(theta_leaf, v_i)), theta_leaf)
        total += g
    return total / len(v)
