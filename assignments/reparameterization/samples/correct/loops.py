"""Correct: plain Python loops over the draws, sigma = sqrt(exp(log_var))."""
# expect: full
import torch


def sample_gaussian(mu, log_var, eps=None):
    std = torch.sqrt(torch.exp(log_var))
    if eps is None:
        eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device)
    return mu + eps * std


def pathwise_grad_quadratic(theta, n_samples):
    total = torch.zeros_like(theta)
    for _ in range(n_samples):
        x = theta + torch.randn_like(theta)
        total = total + 2 * x
    return total / n_samples


def score_function_grad_quadratic(theta, n_samples):
    total = torch.zeros_like(theta)
    for _ in range(n_samples):
        x = theta + torch.randn_like(theta)
        total = total + x * x * (x - theta)
    return total / n_samples


def pathwise_gradient(f, loss, theta, v):
    # vectorised: the grader's f and loss broadcast over the draws
    th = theta.detach().clone()
    th.requires_grad_(True)
    values = loss(f(th, v))
    values.mean().backward()
    return th.grad.detach()
