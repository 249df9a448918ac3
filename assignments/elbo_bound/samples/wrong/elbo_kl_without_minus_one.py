"""Sample submission with a mistake: elbo_kl_without_minus_one.

elbo: the KL to N(0, I) without its -1 per dimension.
"""
# expect-fail: 1.3 1.4 2.5 2.6 2.8 2.11


def elbo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    d = x.shape[-1]
    v = q_log_var.exp()
    residual = x - b - q_mu @ W.T  # x - (W mu + b)
    trace = (v * (W**2).sum(0)).sum(-1)  # sum_j v_j ||W[:, j]||^2
    expected_log_lik = -0.5 * d * math.log(2 * math.pi * sigma**2) - ((residual**2).sum(-1) + trace) / (2 * sigma**2)
    kl = 0.5 * (v + q_mu**2 - q_log_var).sum(-1)
    return expected_log_lik - kl
