"""Wrong: returns the small-width approximation h(sigma) - ln(width) at every width."""
# expect-fail: 1.2 2.4


def quantized_entropy(sigma: float, width: float) -> float:
    return math.log(sigma) + 0.5 * math.log(2 * math.pi * math.e) - math.log(width)
