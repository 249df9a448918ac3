"""Wrong: rate sums the per-example KL over the batch instead of averaging it."""
# expect-fail: 1.2 1.7 2.1 2.2 2.9 2.10 2.11


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    kl = 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(dim=-1)
    return kl.sum()
