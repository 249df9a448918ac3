"""Wrong: the l1 distortion uses the squared error."""
# expect-fail: 1.4 2.7


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        per_pixel = F.binary_cross_entropy_with_logits(x_hat, x, reduction="none")
    elif kind == "l2":
        per_pixel = (x - x_hat).pow(2)
    elif kind == "l1":
        per_pixel = (x - x_hat) ** 2
    else:
        raise ValueError(f"unknown distortion kind {kind!r}: use 'bernoulli', 'l2' or 'l1'")
    return per_pixel.sum(dim=-1).mean()
