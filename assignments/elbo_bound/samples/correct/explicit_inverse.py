"""Correct: explicit matrix inverses and slogdet, einsum, noise laid out as (B, n, k); the Monte
Carlo ELBO samples only E_q[log p(x|z)] and adds the closed-form KL to the prior (also unbiased);
the gap is the full-matrix Gaussian KL formula."""
# expect: full
import math

import torch


def log_marginal(x, W, b, sigma):
    d = x.shape[1]
    C = W @ W.T + sigma**2 * torch.eye(d, dtype=x.dtype)
    C_inv = torch.linalg.inv(C)
    _, log_det = torch.linalg.slogdet(C)
    r = x - b
    quad = torch.einsum("bi,ij,bj->b", r, C_inv, r)
    return -0.5 * (d * math.log(2 * math.pi) + log_det + quad)


def exact_posterior(x, W, b, sigma):
    k = W.shape[1]
    S = torch.linalg.inv(torch.eye(k, dtype=W.dtype) + (W.T @ W) / sigma**2)
    m = torch.einsum("ij,dj,bd->bi", S, W, x - b) / sigma**2
    return m, S


def _kl_to_prior(q_mu, q_log_var):
    return 0.5 * torch.sum(torch.exp(q_log_var) + q_mu**2 - 1.0 - q_log_var, dim=1)


def elbo(x, q_mu, q_log_var, W, b, sigma):
    d = x.shape[1]
    v = torch.exp(q_log_var)
    r = x - q_mu @ W.T - b
    spread = torch.einsum("bj,dj->b", v, W * W)
    expected_log_lik = -0.5 * d * math.log(2 * math.pi) - d * math.log(sigma) - (torch.sum(r * r, 1) + spread) / (2 * sigma**2)
    return expected_log_lik - _kl_to_prior(q_mu, q_log_var)


def _draw(q_mu, q_log_var, n):
    eps = torch.randn(q_mu.shape[0], n, q_mu.shape[1], dtype=q_mu.dtype)
    return q_mu[:, None, :] + torch.exp(q_log_var / 2)[:, None, :] * eps  # (B, n, k)


def _log_lik(x, z, W, b, sigma):
    d = x.shape[1]
    r = x[:, None, :] - torch.einsum("bnk,dk->bnd", z, W) - b
    return -0.5 * d * math.log(2 * math.pi * sigma**2) - torch.sum(r * r, -1) / (2 * sigma**2)  # (B, n)


def elbo_monte_carlo(x, q_mu, q_log_var, W, b, sigma, n_samples):
    z = _draw(q_mu, q_log_var, n_samples)
    return _log_lik(x, z, W, b, sigma).mean(1) - _kl_to_prior(q_mu, q_log_var)


def elbo_gap(x, q_mu, q_log_var, W, b, sigma):
    m, S = exact_posterior(x, W, b, sigma)
    k = S.shape[0]
    S_inv = torch.linalg.inv(S)
    V = torch.diag_embed(torch.exp(q_log_var))  # (B, k, k)
    diff = m - q_mu
    trace = torch.einsum("ij,bji->b", S_inv, V)
    maha = torch.einsum("bi,ij,bj->b", diff, S_inv, diff)
    return 0.5 * (trace + maha - k + torch.linalg.slogdet(S)[1] - torch.linalg.slogdet(V)[1])


def iwae_bound(x, q_mu, q_log_var, W, b, sigma, k):
    z = _draw(q_mu, q_log_var, k)
    latent = z.shape[-1]
    log_prior = -0.5 * latent * math.log(2 * math.pi) - 0.5 * torch.sum(z * z, -1)
    log_q = (-0.5 * latent * math.log(2 * math.pi) - 0.5 * q_log_var.sum(1, keepdim=True)
             - 0.5 * torch.sum((z - q_mu[:, None, :]) ** 2 / torch.exp(q_log_var)[:, None, :], -1))
    log_w = log_prior + _log_lik(x, z, W, b, sigma) - log_q  # (B, k)
    top = log_w.max(dim=1, keepdim=True).values
    return (top + torch.log(torch.exp(log_w - top).mean(dim=1, keepdim=True))).squeeze(1)
