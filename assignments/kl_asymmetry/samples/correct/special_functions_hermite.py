"""Correct: torch.special.entr for -p ln p (0 at p = 0), masked_fill for the cross-entropy's
p_k = 0 terms, log2 / log10 when those bases are asked for; reverse fit by SGD with momentum
on a Gauss-Hermite quadrature (probabilists' nodes from NumPy)."""
# expect: full
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def _convert(nats: Tensor, base: float) -> Tensor:
    if base == math.e:
        return nats
    return nats / math.log(base)


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    if base == 2:
        return torch.special.entr(p).sum(-1) / math.log(2)
    return _convert(torch.special.entr(p).sum(dim=-1), base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    if base == 2:
        log_q = torch.log2(q)
    elif base == 10:
        log_q = torch.log10(q)
    else:
        log_q = torch.log(q) / math.log(base)
    return -(p * log_q).masked_fill(p == 0, 0.0).sum(dim=-1)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return cross_entropy(p, q, base) - entropy(p, base)


def discussion_example() -> tuple[float, float]:
    p = torch.tensor([[0.5, 0.5], [0.1, 0.9]], dtype=torch.float64)
    both = kl_divergence(p, p.flip(0))  # rows: KL(p || q), KL(q || p)
    return both[0].item(), both[1].item()


def mixture_log_prob(x: Tensor, weights: Tensor, means: Tensor, stds: Tensor) -> Tensor:
    x = x.unsqueeze(-1)
    log_normal = -0.5 * ((x - means) / stds) ** 2 - torch.log(stds) - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log(weights) + log_normal, dim=-1)


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    mu = (w * m).sum()
    var = (w * s.square()).sum() + (w * m.square()).sum() - mu.square()
    return float(mu), float(var.sqrt())


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = weights.double(), means.double(), stds.double()
    nodes, gh_weights = np.polynomial.hermite_e.hermegauss(120)  # weight exp(-t^2 / 2)
    t = torch.from_numpy(nodes)
    c = torch.from_numpy(gh_weights / gh_weights.sum())
    mu = torch.tensor(float(init_mu), dtype=torch.float64, requires_grad=True)
    log_sigma = torch.tensor(math.log(init_sigma), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([mu, log_sigma], lr=0.05, momentum=0.9)
    for _ in range(3000):
        opt.zero_grad()
        x = mu + log_sigma.exp() * t
        kl = -log_sigma - 0.5 * math.log(2 * math.pi * math.e) - (c * mixture_log_prob(x, w, m, s)).sum()
        kl.backward()
        opt.step()
    return mu.item(), log_sigma.exp().item()
