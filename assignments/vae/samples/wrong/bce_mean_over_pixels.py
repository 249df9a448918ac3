"""Sample submission with a mistake: bce_mean_over_pixels."""
# expect-fail: 1.4 2.5 2.8 2.9


def negative_elbo(x: Tensor, logits: Tensor, mu: Tensor, log_var: Tensor,
                  beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean()
    kl = gaussian_kl(mu, log_var).mean()
    return reconstruction + beta * kl, reconstruction, kl
