"""Sample submission with a mistake: standardize_divides_by_variance.

standardize divides the shifted mean by the prior's variance instead of its standard deviation.
"""
# expect-fail: 1.3 2.4


def standardize(mu_q: Tensor, log_var_q: Tensor, mu_p: Tensor, log_var_p: Tensor) -> tuple[Tensor, Tensor]:
    sigma_p = torch.exp(0.5 * log_var_p)
    return (mu_q - mu_p) / sigma_p**2, log_var_q - log_var_p
