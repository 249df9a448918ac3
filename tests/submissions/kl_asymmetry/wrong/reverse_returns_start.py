"""Wrong: fit_reverse_kl returns its starting point without optimising."""
# expect-fail: 1.8 2.18 2.19 2.20 2.21
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    plogp = torch.xlogy(p, p)
    return -plogp.sum(dim=-1) / math.log(base)


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
    return float(init_mu), float(init_sigma)
