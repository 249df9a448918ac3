"""Wrong: nll / (d ln 2), without the d ln(width) shift."""
# expect-fail: 1.12 2.23


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return nll / (d * math.log(2))
