"""Sample submission with a mistake: monte_carlo_no_log_q.

elbo_monte_carlo: averages log p(x, z) only, forgetting - log q(z|x) (the entropy of q).
"""
# expect-fail: 1.6 2.12


def elbo_monte_carlo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
                     n_samples: int) -> Tensor:
    std = torch.exp(0.5 * q_log_var)
    eps = torch.randn((n_samples,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (n, B, k)
    return (log_weights(x, z, q_mu, q_log_var, W, b, sigma) + _log_q(z, q_mu, q_log_var)).mean(0)


def _log_q(z, q_mu, q_log_var):
    k = z.shape[-1]
    return -0.5 * (k * math.log(2 * math.pi) + q_log_var.sum(-1) + ((z - q_mu) ** 2 / q_log_var.exp()).sum(-1))
