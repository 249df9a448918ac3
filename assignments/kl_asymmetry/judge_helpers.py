"""Judge-side math for checking Gaussian fits to a 1-D mixture (float64, quadrature).

Not a reference solution: it only measures a proposed ``(mu, sigma)`` (it computes no
fit). Shipped with the public tests so students get the same verdict locally.
"""
from __future__ import annotations

import math

import torch

# E_{t ~ N(0,1)}[f(t)] ~= sum_i c_i f(t_i) on a fine uniform grid (trapezoid rule). Gauss-Hermite
# is not used: log p(x) of a mixture has sharp bends, and Hermite rules then miss by ~1e-2.
NODES = torch.linspace(-12.0, 12.0, 6001, dtype=torch.float64)
COEFFS = torch.exp(-0.5 * NODES**2)
COEFFS = COEFFS / COEFFS.sum()

GRAD_TOL = 0.05  # norm of the gradient in (mu, log sigma) accepted as "near zero"
CURVATURE_TOL = 1e-3  # smallest Hessian eigenvalue allowed (no descent direction)


def mixture_log_prob(x: torch.Tensor, w, m, s) -> torch.Tensor:
    w, m, s = (torch.as_tensor(v, dtype=torch.float64) for v in (w, m, s))
    x = x.unsqueeze(-1)
    log_normal = -0.5 * ((x - m) / s) ** 2 - torch.log(s) - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log(w) + log_normal, dim=-1)


def reverse_kl(params: torch.Tensor, w, m, s) -> torch.Tensor:
    """KL(N(mu, sigma^2) || p) at ``params = (mu, log sigma)``."""
    mu, log_sigma = params[0], params[1]
    x = mu + torch.exp(log_sigma) * NODES
    entropy = 0.5 * math.log(2 * math.pi * math.e) + log_sigma
    return -entropy - (COEFFS * mixture_log_prob(x, w, m, s)).sum()


def assess(mu: float, sigma: float, w, m, s) -> dict:
    """KL, gradient norm and smallest curvature at ``(mu, log sigma)``."""
    params = torch.tensor([mu, math.log(sigma)], dtype=torch.float64, requires_grad=True)
    kl = reverse_kl(params, w, m, s)
    (grad,) = torch.autograd.grad(kl, params)
    hessian = torch.autograd.functional.hessian(lambda p: reverse_kl(p, w, m, s), params.detach())
    return {
        "kl": float(kl.detach()),
        "grad_norm": float(grad.norm()),
        "min_curvature": float(torch.linalg.eigvalsh(hessian).min()),
    }


def local_minimum_problem(mu: float, sigma: float, start: tuple[float, float], w, m, s) -> str | None:
    """Why ``(mu, sigma)`` is not an acceptable local minimum of the reverse KL, or None."""
    if not (math.isfinite(mu) and math.isfinite(sigma)):
        return f"the fit ({mu}, {sigma}) is not finite"
    if sigma <= 0:
        return f"sigma must be a positive standard deviation, got {sigma:.6g}"
    here = assess(mu, sigma, w, m, s)
    at_start = assess(start[0], start[1], w, m, s)
    where = f"at (mu, sigma) = ({mu:.4f}, {sigma:.4f}) the reverse KL is {here['kl']:.5f}"
    if here["kl"] > at_start["kl"] + 1e-6:
        return f"{where}, larger than at the starting point ({at_start['kl']:.5f}): the descent went uphill"
    if here["grad_norm"] > GRAD_TOL:
        return (f"{where} and its gradient in (mu, log sigma) has norm {here['grad_norm']:.3g} "
                f"(should be below {GRAD_TOL}): this is not a minimum yet")
    if here["min_curvature"] < -CURVATURE_TOL:
        return (f"{where}, but it is a saddle point, not a minimum (the KL still decreases in some "
                "direction)")
    return None
