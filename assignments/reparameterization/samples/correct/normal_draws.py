"""Correct: draws x ~ N(theta, 1) with torch.normal and a different drawing order (the
score-function noise first, transposed); pathwise_gradient with autograd.grad per draw."""
# expect: full
import torch


def sample_gaussian(mu, log_var, eps=None):
    sigma = torch.exp(log_var * 0.5)
    noise = eps if eps is not None else torch.randn(mu.numel(), dtype=mu.dtype).reshape(mu.shape)
    return sigma * noise + mu


def pathwise_grad_quadratic(theta, n_samples):
    x = torch.normal(theta.expand(n_samples, *theta.shape), 1.0)  # x_i = theta + eps_i
    return 2 * x.mean(dim=0)


def score_function_grad_quadratic(theta, n_samples):
    flat = theta.reshape(-1)
    eps = torch.randn(n_samples, flat.numel(), dtype=theta.dtype).T  # (entries, draws)
    x = flat[:, None] + eps
    est = (x**2 * eps).sum(dim=1) / n_samples
    return est.reshape(theta.shape)


def pathwise_gradient(f, loss, theta, v):
    grads = []
    for i in range(len(v)):
        th = theta.clone().detach().requires_grad_()
        grads.append(torch.autograd.grad(loss(f(th, v[i])), [th])[0])
    return torch.stack(grads).mean(0)
