"""Wrong: one scalar eps for the whole tensor."""
# expect-fail: 1.3 2.5 2.6 2.7


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if eps is None:
        eps = torch.randn(1, dtype=mu.dtype)
    return mu + torch.exp(0.5 * log_var) * eps
