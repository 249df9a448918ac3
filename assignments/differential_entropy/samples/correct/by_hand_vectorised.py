"""Correct: vectorised by hand: the normal CDF from torch.erf over the bins (float32 work, as
torch's default dtype gives), the KDE's squared distances by the expansion
||x||^2 + ||t||^2 - 2 x.t and a hand-written log-sum-exp, h(Y) - h(Y | X) for the mutual
information, bits per dimension through log2."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor

LOG_2PI = math.log(2 * math.pi)


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return sigma.log() + 0.5 * (LOG_2PI + 1)


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(int(-12 * sigma / width) - 1, int(12 * sigma / width) + 2)
    edges = torch.cat([k, k[-1:] + 1]).float() * width
    cdf = 0.5 * (1 + torch.erf(edges / (sigma * math.sqrt(2))))
    p = cdf[1:] - cdf[:-1]
    return float(-torch.where(p > 0, p * torch.log(p), torch.zeros_like(p)).sum())


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    h_p = torch.log(sigma_p) + 0.5 * (LOG_2PI + 1)
    cross = torch.log(sigma_q) + 0.5 * LOG_2PI + (sigma_p.pow(2) + (mu_p - mu_q).pow(2)) / (2 * sigma_q.pow(2))
    return cross - h_p


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    h_y = 0.5 * math.log(2 * math.pi * math.e) + torch.zeros_like(rho)
    h_y_given_x = 0.5 * torch.log(2 * math.pi * math.e * (1 - rho**2))
    return h_y - h_y_given_x


def _logsumexp(a: Tensor, dim: int) -> Tensor:
    m = a.max(dim=dim, keepdim=True).values
    return (m + (a - m).exp().sum(dim=dim, keepdim=True).log()).squeeze(dim)


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    n, d = train.shape
    squared = (x * x).sum(1, keepdim=True) + (train * train).sum(1)[None, :] - 2 * x @ train.T
    squared = squared.clamp(min=0)
    a = -squared / (2 * sigma**2)
    return _logsumexp(a, 1).mean() - math.log(n) - 0.5 * d * math.log(2 * math.pi * float(sigma) ** 2)


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    out_train = torch.empty(len(sigmas), dtype=train.dtype)
    out_heldout = torch.empty(len(sigmas), dtype=train.dtype)
    for i, s in enumerate(sigmas):
        out_train[i] = -kde_log_likelihood(train, train, s)
        out_heldout[i] = -kde_log_likelihood(train, heldout, s)
    return out_train, out_heldout


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    z = (y - y_hat) / log_sigma.exp()
    log_sigma = log_sigma + torch.zeros_like(y)
    return 0.5 * (z**2).sum(-1) + log_sigma.sum(-1) + 0.5 * y.shape[-1] * LOG_2PI


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    return math.log(width**d) if width**d > 1e-300 else d * math.log(width)


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return nll / (d * math.log(2)) - math.log2(width)
