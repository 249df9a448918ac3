"""Wrong: takes the log of sigma in place (sigma.log_()), changing the caller's tensor."""
# expect-fail: 1.1 2.1 2.2 2.3
from __future__ import annotations

import math

import torch
from torch import Tensor


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return sigma.log_() + 0.5 * math.log(2 * math.pi * math.e)


def quantized_entropy(sigma: float, width: float) -> float:
    k = torch.arange(math.floor(-12 * sigma / width), math.floor(12 * sigma / width) + 2, dtype=torch.float64)
    cdf = torch.special.ndtr(k * width / sigma)
    p = cdf[1:] - cdf[:-1]
    return float(-torch.special.xlogy(p, p).sum())


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    return torch.log(sigma_q / sigma_p) + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2) - 0.5


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    return -0.5 * torch.log1p(-rho * rho)


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    n, d = train.shape
    squared = ((x[:, None, :] - train[None, :, :]) ** 2).sum(dim=-1)
    log_kernel = -squared / (2 * sigma**2) - 0.5 * d * math.log(2 * math.pi * float(sigma) ** 2)
    return (torch.logsumexp(log_kernel, dim=1) - math.log(n)).mean()


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    train_nll = torch.stack([-kde_log_likelihood(train, train, s) for s in sigmas])
    heldout_nll = torch.stack([-kde_log_likelihood(train, heldout, s) for s in sigmas])
    return train_nll, heldout_nll


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    terms = 0.5 * ((y - y_hat) * torch.exp(-log_sigma)) ** 2 + log_sigma + 0.5 * math.log(2 * math.pi)
    return terms.sum(dim=-1)


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    return d * math.log(width)


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return (nll - d * math.log(width)) / (d * math.log(2))
