"""Correct: Woodbury identity and matrix determinant lemma, float64 inside and cast back,
loops over the batch and over the samples."""
# expect: full
import math

import torch


def log_marginal(x, W, b, sigma):
    dtype = x.dtype
    x, W, b = x.double(), W.double(), b.double()
    d, k = W.shape
    s2 = sigma**2
    inner = torch.eye(k, dtype=torch.float64) + W.T @ W / s2  # I + W^T W / s^2
    inner_inv = torch.linalg.inv(inner)
    # C^{-1} = I/s^2 - W inner^{-1} W^T / s^4 ;  log det C = d log s^2 + log det inner
    log_det = d * math.log(s2) + torch.logdet(inner)
    out = []
    for row in x:
        r = row - b
        quad = r @ r / s2 - (r @ W) @ inner_inv @ (W.T @ r) / s2**2
        out.append(-0.5 * (d * math.log(2 * math.pi) + log_det + quad))
    return torch.stack(out).to(dtype)


def exact_posterior(x, W, b, sigma):
    k = W.shape[1]
    precision = torch.eye(k, dtype=W.dtype) + W.T @ W / sigma**2
    cov = torch.linalg.solve(precision, torch.eye(k, dtype=W.dtype))
    mean = torch.linalg.solve(precision, (W.T @ (x - b).T) / sigma**2).T
    return mean, cov


def elbo(x, q_mu, q_log_var, W, b, sigma):
    d = x.shape[-1]
    out = []
    for xi, mi, lvi in zip(x, q_mu, q_log_var):
        v = torch.exp(lvi)
        r = xi - W @ mi - b
        ell = -0.5 * d * math.log(2 * math.pi * sigma**2) - (r @ r + torch.sum(v * (W * W).sum(0))) / (2 * sigma**2)
        kl = 0.5 * torch.sum(v + mi * mi - 1.0 - lvi)
        out.append(ell - kl)
    return torch.stack(out)


def _log_w(xi, z, mi, lvi, W, b, sigma):
    d, k = W.shape
    r = xi - W @ z - b
    log_joint = (-0.5 * k * math.log(2 * math.pi) - 0.5 * z @ z
                 - 0.5 * d * math.log(2 * math.pi * sigma**2) - r @ r / (2 * sigma**2))
    log_q = -0.5 * (k * math.log(2 * math.pi) + lvi.sum() + torch.sum((z - mi) ** 2 / torch.exp(lvi)))
    return log_joint - log_q


def elbo_monte_carlo(x, q_mu, q_log_var, W, b, sigma, n_samples):
    out = []
    for xi, mi, lvi in zip(x, q_mu, q_log_var):
        total = 0.0
        for _ in range(n_samples):
            z = mi + torch.exp(lvi / 2) * torch.randn_like(mi)
            total = total + _log_w(xi, z, mi, lvi, W, b, sigma)
        out.append(total / n_samples)
    return torch.stack(out)


def elbo_gap(x, q_mu, q_log_var, W, b, sigma):
    return log_marginal(x, W, b, sigma) - elbo(x, q_mu, q_log_var, W, b, sigma)


def iwae_bound(x, q_mu, q_log_var, W, b, sigma, k):
    out = []
    for xi, mi, lvi in zip(x, q_mu, q_log_var):
        logs = torch.stack([_log_w(xi, mi + torch.exp(lvi / 2) * torch.randn_like(mi), mi, lvi, W, b, sigma)
                            for _ in range(k)])
        top = logs.max()
        out.append(top + torch.log(torch.exp(logs - top).mean()))
    return torch.stack(out)
