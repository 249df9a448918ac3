"""Sample submission with a mistake: kl_mean_term_not_scaled.

gaussian_kl forgets to divide (mu_q - mu_p)^2 by the prior's variance.
"""
# expect-fail: 1.2 2.1 2.2 2.3


def gaussian_kl(mu_q: Tensor, log_var_q: Tensor,
                mu_p: Tensor | None = None, log_var_p: Tensor | None = None) -> Tensor:
    if mu_p is None:
        mu_p = torch.zeros_like(mu_q)
    if log_var_p is None:
        log_var_p = torch.zeros_like(log_var_q)
    ratio = torch.exp(log_var_q - log_var_p)  # sigma_q^2 / sigma_p^2
    mahalanobis = (mu_q - mu_p) ** 2
    return 0.5 * (ratio + mahalanobis - 1.0 - (log_var_q - log_var_p)).sum(dim=-1)
