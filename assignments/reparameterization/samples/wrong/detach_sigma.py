"""Wrong: sigma detached: no gradient reaches log_var."""
# expect-fail: 1.2 2.3 2.4


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if eps is None:
        eps = torch.randn_like(mu)
    std = torch.exp(0.5 * log_var).detach()
    return mu + std * eps
