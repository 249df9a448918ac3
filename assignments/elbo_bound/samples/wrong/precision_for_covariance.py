"""Sample submission with a mistake: precision_for_covariance.

exact_posterior: returns the precision I + W^T W / sigma^2 as the covariance.
"""
# expect-fail: 1.2 1.5 2.3 2.4 2.9 2.10 2.11


def exact_posterior(x: Tensor, W: Tensor, b: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
    k = W.shape[-1]
    precision = torch.eye(k, dtype=W.dtype, device=W.device) + W.T @ W / sigma**2
    cov = torch.linalg.inv(precision)
    mean = (x - b) @ W @ cov.T / sigma**2  # row-wise m^T = (x - b)^T W S^T / sigma^2
    return mean, precision
