"""Sample submission with a mistake: kl_defaults_all_or_nothing.

gaussian_kl falls back to N(0, I) whenever one of mu_p, log_var_p is missing, ignoring the other.
"""
# expect-fail: 2.2


def gaussian_kl(mu_q: Tensor, log_var_q: Tensor,
                mu_p: Tensor | None = None, log_var_p: Tensor | None = None) -> Tensor:
    if mu_p is None or log_var_p is None:
        mu_p = torch.zeros_like(mu_q)
        log_var_p = torch.zeros_like(log_var_q)
    ratio = torch.exp(log_var_q - log_var_p)  # sigma_q^2 / sigma_p^2
    mahalanobis = (mu_q - mu_p) ** 2 / torch.exp(log_var_p)
    return 0.5 * (ratio + mahalanobis - 1.0 - (log_var_q - log_var_p)).sum(dim=-1)
