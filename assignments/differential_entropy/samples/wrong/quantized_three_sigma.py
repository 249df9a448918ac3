"""Wrong: sums only the bins within 3 sigma of the mean (drops 0.3 % of the probability)."""
# expect-fail: 1.2 1.3 2.4 2.5


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(math.floor(-3 * sigma / width), math.floor(3 * sigma / width), dtype=torch.float64)
    cdf = torch.special.ndtr(torch.cat([k, k[-1:] + 1]) * width / sigma)
    p = cdf[1:] - cdf[:-1]
    return float(-torch.special.xlogy(p, p).sum())
