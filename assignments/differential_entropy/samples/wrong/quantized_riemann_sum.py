"""Wrong: P_k = p(x_k) w at the bin centre instead of the CDF difference (right only for fine bins)."""
# expect-fail: 1.2 2.4


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(math.floor(-12 * sigma / width), math.floor(12 * sigma / width) + 1, dtype=torch.float64)
    centre = (k + 0.5) * width
    p = width * torch.exp(-centre**2 / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)
    return float(-torch.special.xlogy(p, p).sum())
