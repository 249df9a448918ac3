"""Sample submission with a mistake: monte_carlo_one_sample.

elbo_monte_carlo: always one draw, whatever n_samples.
"""
# expect-fail: 2.13


def elbo_monte_carlo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
                     n_samples: int) -> Tensor:
    std = torch.exp(0.5 * q_log_var)
    eps = torch.randn((1,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (n, B, k)
    return log_weights(x, z, q_mu, q_log_var, W, b, sigma).mean(0)
