"""Sample submission with a mistake: monte_carlo_std_is_var.

elbo_monte_carlo: z = mu + exp(log_var) * eps (the variance used as the std).
"""
# expect-fail: 1.6 2.12


def elbo_monte_carlo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
                     n_samples: int) -> Tensor:
    std = torch.exp(q_log_var)
    eps = torch.randn((n_samples,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (n, B, k)
    return log_weights(x, z, q_mu, q_log_var, W, b, sigma).mean(0)
