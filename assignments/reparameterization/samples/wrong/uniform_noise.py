"""Wrong: eps drawn with torch.rand_like (uniform on [0, 1))."""
# expect-fail: 1.3 2.5 2.6


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if eps is None:
        eps = torch.rand_like(mu)
    return mu + torch.exp(0.5 * log_var) * eps
