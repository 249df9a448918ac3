"""Wrong: always draws new noise, ignoring the eps it is given."""
# expect-fail: 1.1 1.2 2.1 2.2 2.3


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    noise = torch.randn_like(mu)
    return mu + torch.exp(0.5 * log_var) * noise
