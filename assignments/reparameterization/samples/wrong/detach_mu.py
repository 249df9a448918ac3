"""Wrong: mu detached: no gradient reaches the mean."""
# expect-fail: 1.2 2.3 2.4


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if eps is None:
        eps = torch.randn_like(mu)
    return mu.detach() + torch.exp(0.5 * log_var) * eps
