"""Sample submission with a mistake: posterior_sigma_not_squared.

exact_posterior: W^T W / sigma in the precision.
"""
# expect-fail: 1.2 1.5 2.3 2.4 2.9 2.10 2.11


def exact_posterior(x: Tensor, W: Tensor, b: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
    k = W.shape[-1]
    precision = torch.eye(k, dtype=W.dtype, device=W.device) + W.T @ W / sigma
    cov = torch.linalg.inv(precision)
    mean = (x - b) @ W @ cov.T / sigma**2  # row-wise m^T = (x - b)^T W S^T / sigma^2
    return mean, cov
