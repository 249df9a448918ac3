"""Wrong: the forward fit's variance is sum_i w_i s_i^2, forgetting the spread of the component means."""
# expect-fail: 1.7 2.17


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    mu = torch.sum(w * m)
    return mu.item(), torch.sqrt(torch.sum(w * s**2)).item()
