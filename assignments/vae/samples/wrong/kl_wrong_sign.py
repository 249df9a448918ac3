"""Sample submission with a mistake: kl_wrong_sign."""
# expect-fail: 1.1 1.2 1.4 2.1 2.2 2.3 2.5 2.8


def gaussian_kl(mu_q: Tensor, log_var_q: Tensor,
                mu_p: Tensor | None = None, log_var_p: Tensor | None = None) -> Tensor:
    if mu_p is None:
        mu_p = torch.zeros_like(mu_q)
    if log_var_p is None:
        log_var_p = torch.zeros_like(log_var_q)
    ratio = torch.exp(log_var_q - log_var_p)  # sigma_q^2 / sigma_p^2
    mahalanobis = (mu_q - mu_p) ** 2 / torch.exp(log_var_p)
    return -0.5 * (ratio + mahalanobis - 1.0 - (log_var_q - log_var_p)).sum(dim=-1)
