"""Wrong: rate forgets the 1/2 of the Gaussian KL."""
# expect-fail: 1.2 2.1 2.2


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    kl = (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(dim=-1)
    return kl.mean()
