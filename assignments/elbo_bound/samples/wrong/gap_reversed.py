"""Sample submission with a mistake: gap_reversed.

elbo_gap: KL(p(z|x) || q) instead of KL(q || p(z|x)).
"""
# expect-fail: 1.5 2.9 2.10 2.11


def elbo_gap(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    m, S = exact_posterior(x, W, b, sigma)
    k = q_mu.shape[-1]
    v = q_log_var.exp()
    diff = m - q_mu
    trace = (torch.diagonal(S) / v).sum(-1)  # tr(V^{-1} S): KL(p(z|x) || q), the wrong direction
    mahalanobis = (diff**2 / v).sum(-1)
    return 0.5 * (trace + mahalanobis - k - torch.logdet(S) + q_log_var.sum(-1))
