"""Wrong: the l2 distortion takes the Euclidean norm (with a square root) instead of its square."""
# expect-fail: 1.3 2.6


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        per_pixel = F.binary_cross_entropy_with_logits(x_hat, x, reduction="none")
    elif kind == "l2":
        return torch.linalg.vector_norm(x - x_hat, dim=-1).mean()
    elif kind == "l1":
        per_pixel = (x - x_hat).abs()
    else:
        raise ValueError(f"unknown distortion kind {kind!r}: use 'bernoulli', 'l2' or 'l1'")
    return per_pixel.sum(dim=-1).mean()
