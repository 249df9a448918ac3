"""Wrong: Normal(mu, std).sample() when eps is not given: no gradient."""
# expect-fail: 1.2 2.4


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    std = torch.exp(0.5 * log_var)
    if eps is None:
        return torch.distributions.Normal(mu, std).sample()
    return mu + std * eps
