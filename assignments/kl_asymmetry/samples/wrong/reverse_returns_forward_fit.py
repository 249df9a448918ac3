"""Wrong: fit_reverse_kl returns the moment-matching (forward-KL) fit, which is mass-covering, not a minimum of the reverse KL."""
# expect-fail: 1.8 2.18 2.19 2.20 2.21


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    # E_{eps ~ N(0, 1)}[f(eps)] by a Riemann sum on a fine grid
    eps = torch.linspace(-8.0, 8.0, 2001, dtype=torch.float64)
    eps_weights = torch.exp(-0.5 * eps**2)
    eps_weights = eps_weights / eps_weights.sum()
    return fit_forward_kl(weights, means, stds)
