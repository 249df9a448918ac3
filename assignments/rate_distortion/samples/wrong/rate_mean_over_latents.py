"""Wrong: rate averages over the latent dimensions as well as the batch. The rate tests charge it.
Its sweep is a consistent beta-VAE sweep in disguise (trained on D + (beta / z_dim) * KL, reporting
KL / z_dim): no physics of the returned points can tell, so the sweep tests pass it."""
# expect-fail: 1.2 2.1 2.2


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    return (0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var)).mean()
