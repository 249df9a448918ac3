"""Wrong: returns the pathwise estimate in the score-function slot."""
# expect-fail: 1.7 2.14


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (2 * x).mean(dim=0)
