"""Correct: explicit Python loops over the outcomes (last dim) and over the mixture's
components; reverse fit by Adam with a decaying step on a quadrature of the expectation."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    total = torch.zeros(p.shape[:-1], dtype=p.dtype, device=p.device)
    for k in range(p.shape[-1]):
        pk = p[..., k]
        safe = torch.where(pk > 0, pk, torch.ones_like(pk))  # log 1 = 0 where p_k = 0
        total = total - pk * torch.log(safe)
    return total / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    total = torch.zeros(p.shape[:-1], dtype=p.dtype, device=p.device)
    for k in range(p.shape[-1]):
        pk, qk = p[..., k], q[..., k]
        surprise = -torch.log(qk)  # +inf where q_k = 0
        total = total + torch.where(pk > 0, pk * surprise, torch.zeros_like(pk))
    return total / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    total = torch.zeros(p.shape[:-1], dtype=p.dtype, device=p.device)
    for k in range(p.shape[-1]):
        pk, qk = p[..., k], q[..., k]
        safe_p = torch.where(pk > 0, pk, torch.ones_like(pk))
        term = pk * (torch.log(safe_p) - torch.log(qk))
        total = total + torch.where(pk > 0, term, torch.zeros_like(term))
    return total / math.log(base)


def discussion_example() -> tuple[float, float]:
    p = [0.5, 0.5]
    q = [0.1, 0.9]
    kl_pq = sum(a * math.log(a / b) for a, b in zip(p, q))
    kl_qp = sum(b * math.log(b / a) for a, b in zip(p, q))
    return kl_pq, kl_qp


def mixture_log_prob(x: Tensor, weights: Tensor, means: Tensor, stds: Tensor) -> Tensor:
    x = x.unsqueeze(-1)
    log_normal = -0.5 * ((x - means) / stds) ** 2 - torch.log(stds) - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log(weights) + log_normal, dim=-1)


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    mu = 0.0
    for w, m in zip(weights.tolist(), means.tolist()):
        mu += w * m
    variance = 0.0
    for w, m, s in zip(weights.tolist(), means.tolist(), stds.tolist()):
        variance += w * (s * s + (m - mu) ** 2)  # within-component + between-component
    return mu, math.sqrt(variance)


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    t = torch.linspace(-9.0, 9.0, 3001, dtype=torch.float64)
    c = torch.exp(-0.5 * t * t)
    c = c / c.sum()
    params = torch.tensor([float(init_mu), math.log(float(init_sigma))], dtype=torch.float64,
                          requires_grad=True)
    opt = torch.optim.Adam([params], lr=0.05)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.997)
    for _ in range(2500):
        opt.zero_grad()
        mu, log_sigma = params[0], params[1]
        x = mu + torch.exp(log_sigma) * t
        kl = -(log_sigma + 0.5 * math.log(2 * math.pi * math.e)) - (c * mixture_log_prob(x, w, m, s)).sum()
        kl.backward()
        opt.step()
        sched.step()
    return params[0].item(), math.exp(params[1].item())
