"""Correct: the divergences in NumPy float64 (np.where for the conventions), converted back to
a tensor with the input's dtype and device; reverse fit by gradient descent with central
finite-difference gradients (no autograd, no scipy). Fits return NumPy floats."""
# expect: full
from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def _to_numpy(x: Tensor) -> np.ndarray:
    return x.detach().cpu().numpy().astype(np.float64)


def _back(x: np.ndarray, like: Tensor) -> Tensor:
    return torch.from_numpy(np.asarray(x, dtype=np.float64)).to(dtype=like.dtype, device=like.device)


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    a = _to_numpy(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0)), 0.0)
    return _back(-terms.sum(axis=-1) / np.log(base), p)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    a, b = _to_numpy(p), _to_numpy(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(a > 0, -a * np.log(b), 0.0)
    return _back(terms.sum(axis=-1) / np.log(base), p)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    a, b = _to_numpy(p), _to_numpy(q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(a > 0, a * (np.log(np.where(a > 0, a, 1.0)) - np.log(b)), 0.0)
    return _back(terms.sum(axis=-1) / np.log(base), p)


def discussion_example() -> tuple[float, float]:
    p, q = np.array([0.5, 0.5]), np.array([0.1, 0.9])
    return float(np.sum(p * np.log(p / q))), float(np.sum(q * np.log(q / p)))


def mixture_log_prob(x: Tensor, weights: Tensor, means: Tensor, stds: Tensor) -> Tensor:
    x = x.unsqueeze(-1)
    log_normal = -0.5 * ((x - means) / stds) ** 2 - torch.log(stds) - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log(weights) + log_normal, dim=-1)


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    w, m, s = _to_numpy(weights), _to_numpy(means), _to_numpy(stds)
    mu = np.sum(w * m)
    var = np.sum(w * (s**2 + m**2)) - mu**2
    return mu, np.sqrt(var)


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    w, m, s = _to_numpy(weights), _to_numpy(means), _to_numpy(stds)
    t = np.linspace(-9.0, 9.0, 3001)
    c = np.exp(-0.5 * t**2)
    c /= c.sum()

    def kl(theta: np.ndarray) -> float:
        mu, log_sigma = theta
        x = mu + np.exp(log_sigma) * t
        log_comp = np.log(w) - 0.5 * ((x[:, None] - m) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)
        top = log_comp.max(axis=1, keepdims=True)
        log_p = (top + np.log(np.exp(log_comp - top).sum(axis=1, keepdims=True)))[:, 0]
        return -(log_sigma + 0.5 * np.log(2 * np.pi * np.e)) - np.dot(c, log_p)

    def grad(theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
        g = np.zeros(2)
        for i in range(2):
            e = np.zeros(2)
            e[i] = h
            g[i] = (kl(theta + e) - kl(theta - e)) / (2 * h)
        return g

    theta = np.array([float(init_mu), np.log(float(init_sigma))])
    for _ in range(4000):
        g = grad(theta)
        if np.linalg.norm(g) < 1e-7:
            break
        theta = theta - 0.25 * g
    return theta[0], np.exp(theta[1])
