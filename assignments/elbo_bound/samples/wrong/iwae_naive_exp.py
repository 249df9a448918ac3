"""Sample submission with a mistake: iwae_naive_exp.

iwae_bound: log(mean(exp(log w))), the weights formed explicitly.
"""
# expect-fail: 2.16 2.17


def iwae_bound(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
               k: int) -> Tensor:
    std = torch.exp(0.5 * q_log_var)
    eps = torch.randn((k,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (k, B, latent)
    return torch.log(torch.exp(log_weights(x, z, q_mu, q_log_var, W, b, sigma)).mean(dim=0))
