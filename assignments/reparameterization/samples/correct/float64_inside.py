"""Correct: computes in float64 and casts back; the draw dimension last; Box-Muller noise
for the estimators; backward() accumulation in pathwise_gradient."""
# expect: full
import math

import torch


def sample_gaussian(mu, log_var, eps=None):
    if eps is None:
        eps = torch.randn_like(mu, dtype=torch.float64)
    z = mu.double() + torch.exp(log_var.double() / 2) * eps.double()
    return z.to(mu.dtype)


def _box_muller(shape):
    u1 = 1.0 - torch.rand(shape, dtype=torch.float64)  # in (0, 1]
    u2 = torch.rand(shape, dtype=torch.float64)
    return torch.sqrt(-2.0 * torch.log(u1)) * torch.cos(2 * math.pi * u2)


def pathwise_grad_quadratic(theta, n_samples):
    t = theta.double().unsqueeze(-1)
    eps = _box_muller((*theta.shape, n_samples))
    return (2 * (t + eps)).mean(dim=-1).to(theta.dtype)


def score_function_grad_quadratic(theta, n_samples):
    t = theta.double().unsqueeze(-1)
    x = t + _box_muller((*theta.shape, n_samples))
    return (x.pow(2) * (x - t)).mean(dim=-1).to(theta.dtype)


def pathwise_gradient(f, loss, theta, v):
    th = theta.detach().clone().requires_grad_(True)
    for i in range(v.shape[0]):
        loss(f(th, v[i])).backward()  # gradients add up in th.grad
    return (th.grad / v.shape[0]).detach()
