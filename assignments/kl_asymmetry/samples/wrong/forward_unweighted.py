"""Wrong: the forward fit ignores the weights (plain means over components); right only for equal weights."""
# expect-fail: 2.17


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    mu = m.mean()
    return mu.item(), torch.sqrt((s**2 + m**2).mean() - mu**2).item()
