"""Sample submission with a mistake: monte_carlo_no_log_prior.

elbo_monte_carlo: averages log p(x|z) - log q(z|x), forgetting log p(z) in log p(x, z).
"""
# expect-fail: 1.6 2.12


def elbo_monte_carlo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
                     n_samples: int) -> Tensor:
    std = torch.exp(0.5 * q_log_var)
    eps = torch.randn((n_samples,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (n, B, k)
    d = x.shape[-1]
    mean_x = z @ W.T + b  # (n, B, d)
    log_lik = -0.5 * d * math.log(2 * math.pi * sigma**2) - ((x - mean_x) ** 2).sum(-1) / (2 * sigma**2)
    k = z.shape[-1]
    log_q = -0.5 * (k * math.log(2 * math.pi) + q_log_var.sum(-1) + ((z - q_mu) ** 2 / q_log_var.exp()).sum(-1))
    return (log_lik - log_q).mean(0)
