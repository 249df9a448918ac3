"""Wrong: P_k ~ p(x_k) w, then -sum P_k ln p(x_k): forgets the ln(width) (returns about h)."""
# expect-fail: 1.2 1.3 2.4 2.5


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(math.floor(-12 * sigma / width), math.floor(12 * sigma / width) + 1, dtype=torch.float64)
    centre = (k + 0.5) * width
    density = torch.exp(-centre**2 / (2 * sigma**2)) / (math.sqrt(2 * math.pi) * sigma)
    return float(-(density * width * torch.log(density)).sum())
