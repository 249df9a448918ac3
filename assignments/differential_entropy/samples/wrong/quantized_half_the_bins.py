"""Wrong: uses the symmetry P_k = P_{-k-1} but sums the bins k >= 0 only once."""
# expect-fail: 1.2 1.3 2.4 2.5


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(0, math.floor(12 * sigma / width) + 2, dtype=torch.float64)
    tail = 0.5 * torch.special.erfc(k * width / (sigma * math.sqrt(2)))
    p = tail[:-1] - tail[1:]
    return float(-torch.special.xlogy(p, p).sum())
