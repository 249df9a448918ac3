"""Correct: NumPy inside (results converted back to tensors of the input's dtype), the KDE
one row of x at a time with the distances computed once per call and reused for both curves,
the quantized entropy from the symmetry P_k = P_{-k-1} with math.erfc."""
# expect: full
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def _back(a, like: Tensor) -> Tensor:
    return torch.as_tensor(np.asarray(a, dtype=np.float64)).to(like.dtype)


def gaussian_entropy(sigma: Tensor) -> Tensor:
    s = sigma.numpy().astype(np.float64)
    return _back(np.log(s) + 0.5 * np.log(2 * np.pi) + 0.5, sigma)


def quantized_entropy(sigma: float, width: float) -> float:
    def upper(t):  # P(X >= t sigma)
        return 0.5 * math.erfc(t / math.sqrt(2))

    h = 0.0
    for k in range(0, int(12 * sigma / width) + 2):
        p = upper(k * width / sigma) - upper((k + 1) * width / sigma)
        if p > 0:
            h -= 2 * p * math.log(p)
    return np.float64(h)


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    mp, sp, mq, sq = (t.numpy().astype(np.float64) for t in (mu_p, sigma_p, mu_q, sigma_q))
    kl = np.log(sq) - np.log(sp) + (sp**2 + (mp - mq) ** 2) / (2 * sq**2) - 0.5
    return _back(kl, mu_p)


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    r = rho.numpy().astype(np.float64)
    return _back(-0.5 * np.log1p(-r * r), rho)


def _log_mean_kernels(squared: np.ndarray, sigma: float, d: int) -> float:
    rows = []
    for row in squared:  # one point of x at a time
        a = -row / (2 * sigma**2)
        m = a.max()
        rows.append(m + np.log(np.exp(a - m).mean()))
    return float(np.mean(rows)) - 0.5 * d * math.log(2 * math.pi * sigma**2)


def _squared(x: np.ndarray, t: np.ndarray) -> np.ndarray:
    return ((x[:, None, :] - t[None, :, :]) ** 2).sum(-1)


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    t, z = train.numpy().astype(np.float64), x.numpy().astype(np.float64)
    return _back(_log_mean_kernels(_squared(z, t), float(sigma), t.shape[1]), x)


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    t, h = train.numpy().astype(np.float64), heldout.numpy().astype(np.float64)
    d = t.shape[1]
    sq_train, sq_heldout = _squared(t, t), _squared(h, t)
    a = [-_log_mean_kernels(sq_train, s, d) for s in sigmas.tolist()]
    b = [-_log_mean_kernels(sq_heldout, s, d) for s in sigmas.tolist()]
    return _back(a, train), _back(b, train)


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    yy, hh, ls = (t.numpy().astype(np.float64) for t in (y, y_hat, log_sigma))
    ls = np.broadcast_to(ls, yy.shape)
    return _back(np.sum((yy - hh) ** 2 / (2 * np.exp(2 * ls)) + ls + 0.5 * np.log(2 * np.pi), axis=-1), y)


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    return np.float64(d) * np.log(width)


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return _back((nll.numpy().astype(np.float64) - d * np.log(width)) / (d * np.log(2)), nll)
