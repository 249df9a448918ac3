"""Sample submission with a mistake: iwae_without_log_k.

iwae_bound: logsumexp of the log-weights without - log k.
"""
# expect-fail: 1.7 2.14 2.16


def iwae_bound(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
               k: int) -> Tensor:
    std = torch.exp(0.5 * q_log_var)
    eps = torch.randn((k,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (k, B, latent)
    return torch.logsumexp(log_weights(x, z, q_mu, q_log_var, W, b, sigma), dim=0)
