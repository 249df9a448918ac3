"""Wrong: adds d ln(width) instead of subtracting it."""
# expect-fail: 1.12 2.23


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return (nll + d * math.log(width)) / (d * math.log(2))
