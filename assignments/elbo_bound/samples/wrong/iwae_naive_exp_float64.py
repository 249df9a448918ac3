"""Sample submission with a mistake: iwae_naive_exp_float64.

iwae_bound: the weights formed explicitly, in float64 (underflows when log w < -745).
"""
# expect-fail: 2.17


def iwae_bound(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
               k: int) -> Tensor:
    std = torch.exp(0.5 * q_log_var)
    eps = torch.randn((k,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (k, B, latent)
    weights = torch.exp(log_weights(x, z, q_mu, q_log_var, W, b, sigma).double())
    return torch.log(weights.mean(dim=0)).to(x.dtype)
