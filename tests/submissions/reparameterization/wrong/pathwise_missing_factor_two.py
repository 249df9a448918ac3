"""Wrong: the pathwise estimate averages theta + eps_i, forgetting the 2 of d(x^2)/dtheta = 2x: the
estimates are half the right ones (average theta, variance 1 / n)."""
# expect-fail: 1.4 1.5 2.10 2.11
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    if eps is None:
        eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * log_var) * eps


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    eps = torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (theta + eps).mean(dim=0)  # d(x^2)/dtheta = 2x: the 2 is missing


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (x**2 * (x - theta)).mean(dim=0)


def pathwise_gradient(f: Callable[[Tensor, Tensor], Tensor], loss: Callable[[Tensor], Tensor],
                      theta: Tensor, v: Tensor) -> Tensor:
    total = torch.zeros_like(theta)
    for v_i in v:
        th = theta.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(loss(f(th, v_i)), th)
        total = total + g
    return total / len(v)
