"""Wrong: loops over the entries of mu_p only, so a scalar p against a batch q fails."""
# expect-fail: 2.7


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    mu_q, sigma_q = mu_q.expand_as(mu_p), sigma_q.expand_as(sigma_p)
    return torch.log(sigma_q / sigma_p) + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2) - 0.5
