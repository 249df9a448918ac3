"""Sample submission with a mistake: beta_ignored."""
# expect-fail: 1.4 2.5


def negative_elbo(x: Tensor, logits: Tensor, mu: Tensor, log_var: Tensor,
                  beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1).mean()
    kl = gaussian_kl(mu, log_var).mean()
    return reconstruction + kl, reconstruction, kl
