"""Wrong: rate reads log_var as log sigma (the log standard deviation)."""
# expect-fail: 1.2 2.1 2.2


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    kl = 0.5 * (mu.pow(2) + torch.exp(2 * log_var) - 1.0 - 2 * log_var).sum(dim=-1)
    return kl.mean()
