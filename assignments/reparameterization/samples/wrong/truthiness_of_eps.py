"""Wrong: `if not eps:` on a tensor raises when eps is given."""
# expect-fail: 1.1 1.2 2.1 2.2 2.3 2.8


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if not eps:
        eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * log_var) * eps
