"""Wrong: bits per example (forgets to divide by d)."""
# expect-fail: 1.12 2.23


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return (nll - d * math.log(width)) / math.log(2)
