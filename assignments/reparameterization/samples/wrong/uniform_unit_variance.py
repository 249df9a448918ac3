"""Wrong: eps uniform, centred and scaled to variance 1: right moments, wrong law."""
# expect-fail: 1.3 2.6


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if eps is None:
        eps = (torch.rand_like(mu) - 0.5) * 12**0.5
    return mu + torch.exp(0.5 * log_var) * eps
