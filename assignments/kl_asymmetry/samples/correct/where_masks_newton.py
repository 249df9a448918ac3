"""Correct: torch.where masks for 0 log 0; KL summed directly as p log(p/q) (not H(p,q) - H(p));
forward fit by the law of total variance; reverse fit by damped Newton steps in (mu, log sigma)."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor


def _log_base(x: Tensor, base: float) -> Tensor:
    return torch.log(x) / math.log(base)


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    positive = p > 0
    logp = _log_base(torch.where(positive, p, torch.ones_like(p)), base)
    return -torch.where(positive, p * logp, torch.zeros_like(p)).sum(-1)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    terms = torch.where(p > 0, -p * _log_base(q, base), torch.zeros_like(p))
    return terms.sum(-1)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    positive = p > 0
    ratio = torch.where(positive, p / q, torch.ones_like(p))  # p/q = inf where q = 0 < p
    return torch.where(positive, p * _log_base(ratio, base), torch.zeros_like(p)).sum(-1)


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
    mu = (w @ m) / w.sum()
    within = w @ s.pow(2)
    between = w @ (m - mu).pow(2)
    return float(mu), float(torch.sqrt(within + between))


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    nodes = torch.linspace(-10.0, 10.0, 4001, dtype=torch.float64)
    coeff = torch.softmax(-0.5 * nodes**2, dim=0)

    def kl(theta: Tensor) -> Tensor:
        x = theta[0] + torch.exp(theta[1]) * nodes
        return -theta[1] - 0.5 * math.log(2 * math.pi * math.e) - (coeff * mixture_log_prob(x, w, m, s)).sum()

    theta = torch.tensor([float(init_mu), math.log(float(init_sigma))], dtype=torch.float64)
    for _ in range(200):
        grad = torch.autograd.functional.jacobian(kl, theta)
        if grad.norm() < 1e-10:
            break
        hess = torch.autograd.functional.hessian(kl, theta)
        direction = -grad
        if torch.linalg.eigvalsh(hess).min() > 1e-8:
            direction = -torch.linalg.solve(hess, grad)
        value, step = kl(theta), 1.0
        while kl(theta + step * direction) > value + 1e-4 * step * grad.dot(direction) and step > 1e-10:
            step *= 0.5
        theta = theta + step * direction
    return float(theta[0]), float(torch.exp(theta[1]))
