"""Correct (accepted on purpose): the entropy uses log(p + 1e-12). Each term changes by
p log(1 + 1e-12 / p) <= 1e-12 nats, so H(p) is right to within K * 1e-12, far inside every
tolerance (in float32, p + 1e-12 == p for every p above ~2e-5). The cross-entropy and the KL
have no epsilon: there it would change the answer (see wrong/epsilon_in_logs.py)."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    return -(p * torch.log(p + 1e-12)).sum(dim=-1) / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    terms = p * torch.log(q)
    terms = torch.where(p == 0, torch.zeros_like(terms), terms)
    return -terms.sum(dim=-1) / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(dim=-1) / math.log(base)


def discussion_example() -> tuple[float, float]:
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.1, 0.9], dtype=torch.float64)
    return float(kl_divergence(p, q)), float(kl_divergence(q, p))


def mixture_log_prob(x: Tensor, weights: Tensor, means: Tensor, stds: Tensor) -> Tensor:
    x = x.unsqueeze(-1)
    log_normal = -0.5 * ((x - means) / stds) ** 2 - torch.log(stds) - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log(weights) + log_normal, dim=-1)


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    mu = torch.sum(w * m)
    return mu.item(), torch.sum(w * (s**2 + (m - mu) ** 2)).sqrt().item()


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    t = torch.linspace(-8.0, 8.0, 2001, dtype=torch.float64)
    c = torch.exp(-0.5 * t**2)
    c = c / c.sum()
    theta = torch.tensor([float(init_mu), math.log(init_sigma)], dtype=torch.float64, requires_grad=True)
    for _ in range(4000):
        x = theta[0] + theta[1].exp() * t
        kl = -theta[1] - (c * mixture_log_prob(x, w, m, s)).sum()  # + a constant
        (g,) = torch.autograd.grad(kl, theta)
        if g.norm() < 1e-8:
            break
        with torch.no_grad():
            theta -= 0.3 * g
    return theta[0].item(), theta[1].exp().item()
