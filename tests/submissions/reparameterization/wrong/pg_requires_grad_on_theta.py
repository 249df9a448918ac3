"""Wrong: sets requires_grad on theta itself and leaves it (and its .grad) behind."""
# expect-fail: 1.9 2.17
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
    return (2 * (theta + eps)).mean(dim=0)


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype)
    return (x**2 * (x - theta)).mean(dim=0)


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    theta.requires_grad_(True)
    loss(f(theta, v)).mean().backward()
    return theta.grad.clone()
