"""Wrong: the reverse-KL objective omits the Gaussian's entropy, minimising -E_q[log p] alone, which shrinks sigma towards 0."""
# expect-fail: 1.8 2.18 2.19 2.20 2.21


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    # E_{eps ~ N(0, 1)}[f(eps)] by a Riemann sum on a fine grid
    eps = torch.linspace(-8.0, 8.0, 2001, dtype=torch.float64)
    eps_weights = torch.exp(-0.5 * eps**2)
    eps_weights = eps_weights / eps_weights.sum()
    def objective(mu: Tensor, log_sigma: Tensor) -> Tensor:
        x = mu + torch.exp(log_sigma) * eps
        gaussian_entropy = log_sigma + 0.5 * math.log(2 * math.pi * math.e)
        return - torch.sum(eps_weights * mixture_log_prob(x, w, m, s))

    mu = torch.tensor(float(init_mu), dtype=torch.float64, requires_grad=True)
    log_sigma = torch.tensor(math.log(init_sigma), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([mu, log_sigma], lr=0.3)
    for _ in range(3000):
        optimizer.zero_grad()
        objective(mu, log_sigma).backward()
        if math.hypot(mu.grad.item(), log_sigma.grad.item()) < 1e-7:
            break
        optimizer.step()
    return mu.item(), log_sigma.exp().item()
