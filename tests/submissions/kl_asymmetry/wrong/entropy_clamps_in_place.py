"""Wrong: entropy calls p.clamp_(min=1e-12) to keep log away from 0. The value is right, but the clamp
edits the caller's tensor (its zeros become 1e-12), and kl_divergence, which calls entropy(p), passes
the change on. Only inputs with zeros are changed, so exactly the tests that give these functions a
p with zeros fail."""
# expect-fail: 2.3 2.5 2.13 2.16
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    p.clamp_(min=1e-12)  # log(0) would give nan; clamping in place changes the input
    return -(p * torch.log(p)).sum(dim=-1) / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return -torch.xlogy(p, q).sum(dim=-1) / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return cross_entropy(p, q, base) - entropy(p, base)


def discussion_example() -> tuple[float, float]:
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)  # P(+1), P(-1)
    q = torch.tensor([0.1, 0.9], dtype=torch.float64)
    return kl_divergence(p, q).item(), kl_divergence(q, p).item()


def mixture_log_prob(x: Tensor, weights: Tensor, means: Tensor, stds: Tensor) -> Tensor:
    x = x.unsqueeze(-1)
    log_normal = -0.5 * ((x - means) / stds) ** 2 - torch.log(stds) - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log(weights) + log_normal, dim=-1)


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    mu = torch.sum(w * m)
    second_moment = torch.sum(w * (s**2 + m**2))
    return mu.item(), torch.sqrt(second_moment - mu**2).item()


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
        return -gaussian_entropy - torch.sum(eps_weights * mixture_log_prob(x, w, m, s))

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
