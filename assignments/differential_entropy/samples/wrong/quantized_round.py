"""Wrong: bins centred on the grid points (k = round(X / w)) instead of k = floor(X / w)."""
# expect-fail: 1.2 2.4


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(math.floor(-12 * sigma / width), math.floor(12 * sigma / width) + 2, dtype=torch.float64)
    cdf = torch.special.ndtr((k - 0.5) * width / sigma)
    p = cdf[1:] - cdf[:-1]
    return float(-torch.special.xlogy(p, p).sum())
