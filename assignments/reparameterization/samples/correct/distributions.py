"""Correct: torch.distributions (rsample, log_prob), autograd for the pathwise estimator,
a surrogate loss for the score function, torch.func for the general estimator."""
# expect: full
import torch
from torch.distributions import Normal
from torch.func import grad, vmap


def sample_gaussian(mu, log_var, eps=None):
    std = (0.5 * log_var).exp()
    if eps is not None:
        return torch.addcmul(mu, std, eps)
    return Normal(mu, std).rsample()


def pathwise_grad_quadratic(theta, n_samples):
    th = theta.detach().clone().requires_grad_(True)
    x = Normal(th, torch.ones_like(th)).rsample((n_samples,))
    objective = (x**2).mean(dim=0).sum()  # entries are independent: one backward gives all
    (g,) = torch.autograd.grad(objective, th)
    return g


def score_function_grad_quadratic(theta, n_samples):
    th = theta.detach().clone().requires_grad_(True)
    dist = Normal(th, torch.ones_like(th))
    x = dist.sample((n_samples,))  # no gradient through the sample itself
    surrogate = ((x**2) * dist.log_prob(x)).mean(dim=0).sum()
    (g,) = torch.autograd.grad(surrogate, th)
    return g


def pathwise_gradient(f, loss, theta, v):
    per_draw = vmap(grad(lambda th, v_i: loss(f(th, v_i))), in_dims=(None, 0))(theta, v)
    return per_draw.mean(dim=0)
