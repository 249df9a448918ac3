"""Wrong: returns the exact gradient 2 theta: no Monte Carlo at all."""
# expect-fail: 1.5 2.9 2.11


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    return 2 * theta.clone()
