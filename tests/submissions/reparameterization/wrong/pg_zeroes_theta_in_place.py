"""Wrong: pathwise_gradient starts its running sum with theta.detach().zero_(), taking it for a
fresh zero tensor; but detach() shares theta's memory, so zero_() and += overwrite theta itself.
The returned average is right; theta is not left as it was, in every test that calls the function."""
# expect-fail: 1.8 1.9 2.15 2.16 2.17
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


def pathwise_gradient(f: Callable[[Tensor, Tensor], Tensor], loss: Callable[[Tensor], Tensor],
                      theta: Tensor, v: Tensor) -> Tensor:
    theta_leaf = theta.detach().clone().requires_grad_(True)
    total = theta.detach().zero_()  # meant as zeros_like(theta), but it is theta's own memory
    for v_i in v:
        (g,) = torch.autograd.grad(loss(f(theta_leaf, v_i)), theta_leaf)
        total += g
    return total / len(v)
