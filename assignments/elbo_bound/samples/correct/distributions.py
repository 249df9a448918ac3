"""Correct, written with torch.distributions and an explicit Monte Carlo over z."""
# expect: full
import math

import torch
from torch.distributions import MultivariateNormal, Normal


def log_marginal(x, W, b, sigma):
    d = x.shape[-1]
    cov = W @ W.T + sigma**2 * torch.eye(d, dtype=x.dtype)
    return MultivariateNormal(b, covariance_matrix=cov).log_prob(x)


def exact_posterior(x, W, b, sigma):
    k = W.shape[1]
    cov = torch.linalg.inv(torch.eye(k, dtype=W.dtype) + W.T @ W / sigma**2)
    mean = ((x - b) @ W) @ cov / sigma**2  # cov is symmetric
    return mean, cov


def _log_joint(x, z, W, b, sigma):
    prior = Normal(torch.zeros((), dtype=z.dtype), torch.ones((), dtype=z.dtype)).log_prob(z).sum(-1)
    lik = Normal(z @ W.T + b, sigma).log_prob(x).sum(-1)
    return prior + lik


def elbo(x, q_mu, q_log_var, W, b, sigma):
    d = x.shape[-1]
    v = q_log_var.exp()
    q = Normal(q_mu, v.sqrt())
    prior = Normal(torch.zeros_like(q_mu), torch.ones_like(q_mu))
    kl = torch.distributions.kl_divergence(q, prior).sum(-1)
    expected_sq = ((x - q_mu @ W.T - b) ** 2).sum(-1) + (v @ (W**2).T).sum(-1)
    return -0.5 * d * math.log(2 * math.pi) - d * math.log(sigma) - expected_sq / (2 * sigma**2) - kl


def elbo_monte_carlo(x, q_mu, q_log_var, W, b, sigma, n_samples):
    q = Normal(q_mu, torch.exp(0.5 * q_log_var))
    z = q.rsample((n_samples,))
    return (_log_joint(x, z, W, b, sigma) - q.log_prob(z).sum(-1)).mean(0)


def elbo_gap(x, q_mu, q_log_var, W, b, sigma):
    mean, cov = exact_posterior(x, W, b, sigma)
    q = MultivariateNormal(q_mu, covariance_matrix=torch.diag_embed(q_log_var.exp()))
    p = MultivariateNormal(mean, covariance_matrix=cov)
    return torch.distributions.kl_divergence(q, p)


def iwae_bound(x, q_mu, q_log_var, W, b, sigma, k):
    q = Normal(q_mu, torch.exp(0.5 * q_log_var))
    z = q.rsample((k,))
    log_w = _log_joint(x, z, W, b, sigma) - q.log_prob(z).sum(-1)
    return torch.logsumexp(log_w, 0) - math.log(k)
