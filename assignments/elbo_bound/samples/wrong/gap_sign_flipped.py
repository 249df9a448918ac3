"""Sample submission with a mistake: gap_sign_flipped.

elbo_gap: ELBO - log p(x), the negative of the gap.
"""
# expect-fail: 1.5 2.9 2.10 2.11


def elbo_gap(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    return elbo(x, q_mu, q_log_var, W, b, sigma) - log_marginal(x, W, b, sigma)
    m, S = exact_posterior(x, W, b, sigma)
    k = q_mu.shape[-1]
    S_inv = torch.linalg.inv(S)  # the precision I + W^T W / sigma^2
    v = q_log_var.exp()
    diff = m - q_mu
    trace = (torch.diagonal(S_inv) * v).sum(-1)  # tr(S^{-1} V) with V diagonal
    mahalanobis = ((diff @ S_inv) * diff).sum(-1)
    return 0.5 * (trace + mahalanobis - k + torch.logdet(S) - q_log_var.sum(-1))
