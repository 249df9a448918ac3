"""Wrong: optimises sigma itself (not log sigma) with a step so large that sigma goes negative and the fit diverges."""
# expect-fail: 1.8 2.18 2.19 2.20 2.21


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    # E_{eps ~ N(0, 1)}[f(eps)] by a Riemann sum on a fine grid
    eps = torch.linspace(-8.0, 8.0, 2001, dtype=torch.float64)
    eps_weights = torch.exp(-0.5 * eps**2)
    eps_weights = eps_weights / eps_weights.sum()
    def objective(mu: Tensor, sigma: Tensor) -> Tensor:
        x = mu + sigma * eps
        gaussian_entropy = torch.log(sigma) + 0.5 * math.log(2 * math.pi * math.e)
        return -gaussian_entropy - torch.sum(eps_weights * mixture_log_prob(x, w, m, s))

    mu = torch.tensor(float(init_mu), dtype=torch.float64, requires_grad=True)
    sigma = torch.tensor(float(init_sigma), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([mu, sigma], lr=10.0)
    for _ in range(3000):
        optimizer.zero_grad()
        objective(mu, sigma).backward()
        if math.hypot(mu.grad.item(), sigma.grad.item()) < 1e-7:
            break
        optimizer.step()
    return mu.item(), sigma.item()
