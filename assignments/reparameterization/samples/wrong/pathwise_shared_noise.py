"""Wrong: the same n draws reused for every entry of theta."""
# expect-fail: 1.4 1.5 2.10 2.11


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    eps = torch.randn(n_samples, dtype=theta.dtype)  # mistake: shared by all entries
    return (2 * (theta.unsqueeze(-1) + eps)).mean(dim=-1)
