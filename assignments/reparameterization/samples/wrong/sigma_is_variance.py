"""Wrong: sigma = exp(log_var) instead of exp(log_var / 2)."""
# expect-fail: 1.1 1.2 1.3 2.1 2.2 2.3 2.4 2.5 2.6


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if eps is None:
        eps = torch.randn_like(mu)
    sigma = torch.exp(log_var)  # mistake: this is the variance
    return mu + sigma * eps
