"""Correct: every divergence computed in float64 and cast back to the input's dtype;
reverse fit by Adam on a Monte Carlo estimate with a fixed large set of standard-normal
draws (reparameterization x = mu + sigma * eps), antithetic pairs (eps, -eps)."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    p64 = p.to(torch.float64)
    h = -torch.special.xlogy(p64, p64).sum(dim=-1) / math.log(base)
    return h.to(p.dtype)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    p64, q64 = p.to(torch.float64), q.to(torch.float64)
    return (-torch.special.xlogy(p64, q64).sum(dim=-1) / math.log(base)).to(p.dtype)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    p64, q64 = p.to(torch.float64), q.to(torch.float64)
    kl = torch.special.xlogy(p64, p64).sum(-1) - torch.special.xlogy(p64, q64).sum(-1)
    return (kl / math.log(base)).to(p.dtype)


def discussion_example() -> tuple[float, float]:
    # KL(p||q) = 0.5 ln(0.5/0.1) + 0.5 ln(0.5/0.9);  KL(q||p) = 0.1 ln(0.1/0.5) + 0.9 ln(0.9/0.5)
    return 0.5 * math.log(5.0) + 0.5 * math.log(5.0 / 9.0), 0.1 * math.log(0.2) + 0.9 * math.log(1.8)


def mixture_log_prob(x: Tensor, weights: Tensor, means: Tensor, stds: Tensor) -> Tensor:
    x = x.unsqueeze(-1)
    log_normal = -0.5 * ((x - means) / stds) ** 2 - torch.log(stds) - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log(weights) + log_normal, dim=-1)


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    w, m, s = (t.to(torch.float64) for t in (weights, means, stds))
    mean = torch.dot(w, m)
    second = torch.dot(w, s * s) + torch.dot(w, m * m)  # E[x^2] of the mixture
    return mean.item(), (second - mean * mean).sqrt().item()


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = (t.to(torch.float64) for t in (weights, means, stds))
    gen = torch.Generator().manual_seed(1234)
    half = torch.randn(40_000, generator=gen, dtype=torch.float64)
    eps = torch.cat([half, -half])  # fixed (antithetic) draws: a deterministic objective
    mu = torch.tensor(float(init_mu), dtype=torch.float64, requires_grad=True)
    log_sigma = torch.tensor(math.log(init_sigma), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([mu, log_sigma], lr=0.05)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=300, eta_min=1e-4)
    for _ in range(300):
        opt.zero_grad()
        x = mu + log_sigma.exp() * eps
        loss = -log_sigma - mixture_log_prob(x, w, m, s).mean()  # KL up to a constant
        loss.backward()
        opt.step()
        sched.step()
    return mu.item(), log_sigma.exp().item()
