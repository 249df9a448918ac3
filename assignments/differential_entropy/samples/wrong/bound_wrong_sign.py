"""Wrong: the bound with the wrong sign, -d ln(width)."""
# expect-fail: 1.11 2.22


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    return -d * math.log(width)
