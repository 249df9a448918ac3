"""Wrong: returns the exact gradient 2 theta."""
# expect-fail: 1.7 2.12 2.14


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    return 2 * theta
