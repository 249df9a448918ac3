"""Sample submission with a mistake: mse_likelihood."""
# expect-fail: 1.4 2.5 2.8


def negative_elbo(x: Tensor, logits: Tensor, mu: Tensor, log_var: Tensor,
                  beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    reconstruction = ((torch.sigmoid(logits) - x) ** 2).sum(dim=-1).mean()
    kl = gaussian_kl(mu, log_var).mean()
    return reconstruction + beta * kl, reconstruction, kl
