"""Correct: everything computed in float64 and cast back to the input's dtype; the entropy as
(1/2) ln(2 pi e sigma^2), the KL through the variance ratio, the KDE with torch.cdist, the
quantized entropy from torch.special.ndtr truncated at 8 sigma (the dropped tails hold 1e-15)."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor


def gaussian_entropy(sigma: Tensor) -> Tensor:
    s = sigma.double()
    return (0.5 * torch.log(2 * math.pi * math.e * s**2)).to(sigma.dtype)


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(math.floor(-8 * sigma / width) - 1, math.ceil(8 * sigma / width) + 2, dtype=torch.float64)
    cdf = torch.special.ndtr(k * width / sigma)
    p = cdf[1:] - cdf[:-1]
    p = p[p > 0]
    return -(p * p.log()).sum().item()


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    dtype = torch.result_type(mu_p, sigma_p)
    mp, sp, mq, sq = (t.double() for t in (mu_p, sigma_p, mu_q, sigma_q))
    ratio = (sp / sq) ** 2
    kl = 0.5 * (ratio - 1 - torch.log(ratio)) + (mp - mq) ** 2 / (2 * sq**2)
    return kl.to(dtype)


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    r = rho.double()
    return (-0.5 * (torch.log(1 - r) + torch.log(1 + r))).to(rho.dtype)


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    t, z = train.double(), x.double()
    n, d = t.shape
    squared = torch.cdist(z, t) ** 2
    s2 = float(sigma) ** 2
    log_k = -squared / (2 * s2) - d / 2 * math.log(2 * math.pi * s2)
    return (torch.logsumexp(log_k, dim=-1) - math.log(n)).mean().to(x.dtype)


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    a = torch.tensor([-kde_log_likelihood(train.double(), train.double(), s).item() for s in sigmas.tolist()],
                     dtype=torch.float64)
    b = torch.tensor([-kde_log_likelihood(train.double(), heldout.double(), s).item() for s in sigmas.tolist()],
                     dtype=torch.float64)
    return a.to(train.dtype), b.to(train.dtype)


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    yy, hh, ls = y.double(), y_hat.double(), log_sigma.double()
    ls = ls.expand(yy.shape)
    out = ((yy - hh) ** 2 / (2 * torch.exp(2 * ls))).sum(-1) + ls.sum(-1) + yy.shape[-1] / 2 * math.log(2 * math.pi)
    return out.to(y.dtype)


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    return float(torch.tensor(float(width), dtype=torch.float64).log() * d)


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return ((nll.double() - d * math.log(width)) / (d * math.log(2))).to(nll.dtype)
