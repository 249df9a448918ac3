"""Correct: one flat block of noise reshaped with the draws last, written with
torch.Tensor methods; pathwise_gradient per draw in float64, cast back."""
# expect: full
from __future__ import annotations

import torch
from torch import Tensor


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    noise = torch.randn(mu.shape).to(mu) if eps is None else eps
    return mu + log_var.mul(0.5).exp().mul(noise)


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    noise = torch.randn(theta.numel() * n_samples).reshape(*theta.shape, n_samples).to(theta)
    x = theta[..., None] + noise
    return x.mul(2).sum(-1).div(n_samples)


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    noise = torch.randn(theta.numel() * n_samples).reshape(*theta.shape, n_samples).to(theta)
    x = theta[..., None] + noise
    return (x.square() * noise).mean(-1)  # the score x - theta is the noise itself


def pathwise_gradient(f, loss, theta: Tensor, v: Tensor) -> Tensor:
    acc = torch.zeros(theta.shape, dtype=torch.float64)
    for i in range(v.shape[0]):
        leaf = theta.detach().to(torch.float64).requires_grad_(True)
        value = loss(f(leaf, v[i].to(torch.float64)))
        acc += torch.autograd.grad(value, leaf)[0]
    return (acc / v.shape[0]).to(theta.dtype)
