"""Correct: explicit Python loops with the math module (elementwise functions loop over the
broadcast entries, the KDE loops over points and centres with a hand-written log-sum-exp, the
quantized entropy loops over the bins with math.erf)."""
# expect: full
from __future__ import annotations

import math

import torch
from torch import Tensor


def _elementwise(fn, *tensors):
    args = torch.broadcast_tensors(*tensors)
    flat = [a.reshape(-1).tolist() for a in args]
    values = [fn(*entry) for entry in zip(*flat)]
    return torch.tensor(values, dtype=tensors[0].dtype, device=tensors[0].device).reshape(args[0].shape)


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return _elementwise(lambda s: math.log(s) + 0.5 * math.log(2 * math.pi) + 0.5, sigma)


def quantized_entropy(sigma: float, width: float) -> float:
    def cdf(t):
        return 0.5 * (1 + math.erf(t / math.sqrt(2)))

    total = 0.0
    k = math.floor(-12 * sigma / width)
    while k * width <= 12 * sigma:
        p = cdf((k + 1) * width / sigma) - cdf(k * width / sigma)
        if p > 0:
            total -= p * math.log(p)
        k += 1
    return total


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    def kl(mp, sp, mq, sq):
        return math.log(sq / sp) + (sp * sp + (mp - mq) ** 2) / (2 * sq * sq) - 0.5

    return _elementwise(kl, mu_p, sigma_p, mu_q, sigma_q)


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    return _elementwise(lambda r: -0.5 * math.log(1 - r * r), rho)


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    sigma = float(sigma)
    rows, centres = x.tolist(), train.tolist()
    d = len(centres[0])
    log_norm = -0.5 * d * math.log(2 * math.pi * sigma * sigma)
    total = 0.0
    for point in rows:
        logs = []
        for centre in centres:
            squared = sum((a - b) ** 2 for a, b in zip(point, centre))
            logs.append(-squared / (2 * sigma * sigma) + log_norm)
        m = max(logs)
        total += m + math.log(sum(math.exp(v - m) for v in logs)) - math.log(len(centres))
    return torch.tensor(total / len(rows), dtype=x.dtype, device=x.device)


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    train_nll, heldout_nll = [], []
    for s in sigmas.tolist():
        train_nll.append(-float(kde_log_likelihood(train, train, s)))
        heldout_nll.append(-float(kde_log_likelihood(train, heldout, s)))
    return (torch.tensor(train_nll, dtype=train.dtype, device=train.device),
            torch.tensor(heldout_nll, dtype=train.dtype, device=train.device))


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    def term(a, b, ls):
        return (a - b) ** 2 / (2 * math.exp(2 * ls)) + ls + 0.5 * math.log(2 * math.pi)

    return _elementwise(term, y, y_hat, log_sigma).sum(dim=-1)


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    return sum(math.log(width) for _ in range(d))


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return _elementwise(lambda v: (v - d * math.log(width)) / (d * math.log(2)), nll)
