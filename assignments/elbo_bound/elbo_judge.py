"""Judge-side helpers for elbo_bound: model makers and the statistics of Monte Carlo checks.

Not a reference solution; shipped with the public tests."""
from __future__ import annotations

import math

import torch

Z_LIMIT = 5.0  # z-tests at 5 standard errors


def small_model(batch: int = 1, dtype=torch.float64):
    """d = 2, k = 1, W = (1, 0)^T, b = 0, sigma = 1, x = (1, 0): everything by hand.

    C = diag(2, 1); log p(x) = -log 2pi - (1/2) log 2 - 1/4; posterior N(1/2, 1/2)."""
    W = torch.tensor([[1.0], [0.0]], dtype=dtype)
    b = torch.zeros(2, dtype=dtype)
    x = torch.tensor([[1.0, 0.0]], dtype=dtype).repeat(batch, 1)
    return x, W, b, 1.0


LOG_P_SMALL = -math.log(2 * math.pi) - 0.5 * math.log(2) - 0.25
ELBO_PRIOR_SMALL = -math.log(2 * math.pi) - 1.0  # q = N(0, 1)
GAP_PRIOR_SMALL = 0.75 - 0.5 * math.log(2)


def mean_and_se(values: torch.Tensor) -> tuple[float, float]:
    v = values.double()
    return float(v.mean()), float(v.std() / math.sqrt(v.numel()))


def random_model(d: int, k: int, sigma: float, *, seed: int, batch: int = 1, dtype=torch.float64,
                 orthogonal: bool = False):
    """A random linear-Gaussian model and data drawn from it (one distinct x repeated ``batch``
    times when ``batch`` > 1 and a single x is wanted: see ``repeat``)."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(d, k, generator=g, dtype=torch.float64)
    if orthogonal:  # orthogonal columns with different norms: the posterior covariance is diagonal
        q, _ = torch.linalg.qr(W)
        W = q * torch.linspace(0.5, 2.0, k, dtype=torch.float64)
    b = torch.randn(d, generator=g, dtype=torch.float64)
    z = torch.randn(batch, k, generator=g, dtype=torch.float64)
    x = z @ W.T + b + sigma * torch.randn(batch, d, generator=g, dtype=torch.float64)
    return x.to(dtype), W.to(dtype), b.to(dtype), sigma


def random_q(batch: int, k: int, *, seed: int, dtype=torch.float64, spread: float = 1.0):
    g = torch.Generator().manual_seed(seed)
    mu = spread * torch.randn(batch, k, generator=g, dtype=torch.float64)
    log_var = 0.5 * spread * torch.randn(batch, k, generator=g, dtype=torch.float64)
    return mu.to(dtype), log_var.to(dtype)
