"""Wrong: the entropy of the bins in bits (log2) instead of nats."""
# expect-fail: 1.2 1.3 2.4 2.5


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(math.floor(-12 * sigma / width), math.floor(12 * sigma / width) + 2, dtype=torch.float64)
    cdf = torch.special.ndtr(k * width / sigma)
    p = cdf[1:] - cdf[:-1]
    return float(-(p[p > 0] * torch.log2(p[p > 0])).sum())
