"""Wrong: computes KL(q || p): the arguments swapped."""
# expect-fail: 1.4 2.6 2.7 2.8 2.9


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    return torch.log(sigma_p / sigma_q) + (sigma_q**2 + (mu_q - mu_p) ** 2) / (2 * sigma_p**2) - 0.5
