"""Wrong: rate exponentiates log_var in place (log_var.exp_()), changing its input."""
# expect-fail: 1.1 1.2 1.6 1.7 2.1 2.2 2.3 2.8 2.9 2.10 2.11


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    kl = 0.5 * (mu.pow(2) - 1.0 - log_var + log_var.exp_()).sum(dim=-1)
    return kl.mean()
