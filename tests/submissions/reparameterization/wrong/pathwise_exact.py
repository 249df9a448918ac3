"""Wrong: returns the exact gradient 2 theta: no Monte Carlo at all."""
# expect-fail: 1.5 2.9 2.11
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
    return 2 * theta.clone()


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
