"""Sample submission with a mistake: log_weights_prior_without_log_2pi.

log_weights (used by the Monte Carlo ELBO and IWAE): log N(z; 0, I) without -k/2 log 2pi.
"""
# expect-fail: 1.6 1.7 2.12 2.14


def log_weights(x: Tensor, z: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor,
                sigma: float) -> Tensor:
    d, k = x.shape[-1], z.shape[-1]
    log_prior = -0.5 * (z**2).sum(-1)
    mean_x = z @ W.T + b  # (n, B, d)
    log_lik = -0.5 * d * math.log(2 * math.pi * sigma**2) - ((x - mean_x) ** 2).sum(-1) / (2 * sigma**2)
    log_q = -0.5 * (k * math.log(2 * math.pi) + q_log_var.sum(-1) + ((z - q_mu) ** 2 / q_log_var.exp()).sum(-1))
    return log_prior + log_lik - log_q
