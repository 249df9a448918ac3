"""Wrong: fit_forward_kl returns the variance sigma^2 where the standard deviation sigma is asked for."""
# expect-fail: 1.7 2.17


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    mu = torch.sum(w * m)
    return mu.item(), (torch.sum(w * (s**2 + m**2)) - mu**2).item()
