"""Wrong: ln(width), the bound for one dimension, whatever d."""
# expect-fail: 1.11 2.22


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    return math.log(width)
