"""Wrong: the Bernoulli distortion passes (x, logits) to binary_cross_entropy_with_logits."""
# expect-fail: 1.5 1.7 2.4 2.5 2.8 2.9 2.10 2.11


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        per_pixel = F.binary_cross_entropy_with_logits(x, x_hat, reduction="none")
    elif kind == "l2":
        per_pixel = (x - x_hat).pow(2)
    elif kind == "l1":
        per_pixel = (x - x_hat).abs()
    else:
        raise ValueError(f"unknown distortion kind {kind!r}: use 'bernoulli', 'l2' or 'l1'")
    return per_pixel.sum(dim=-1).mean()
