"""Wrong: draws with torch.normal(mu, std) when eps is not given: zero gradients."""
# expect-fail: 1.2 2.4


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    std = torch.exp(0.5 * log_var)
    if eps is None:
        return torch.normal(mu, std)
    return mu + std * eps
