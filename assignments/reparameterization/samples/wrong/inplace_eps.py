"""Wrong: builds z in place in the given eps tensor."""
# expect-fail: 1.1 1.2 2.1 2.2 2.3 2.8


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if eps is None:
        eps = torch.randn_like(mu)
    return eps.mul_(torch.exp(0.5 * log_var)).add_(mu)
