"""Wrong: ln(sigma_q^2 / sigma_p^2) where the formula has ln(sigma_q / sigma_p)."""
# expect-fail: 1.4 2.6 2.7 2.8 2.9


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    return torch.log(sigma_q**2 / sigma_p**2) + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2) - 0.5
