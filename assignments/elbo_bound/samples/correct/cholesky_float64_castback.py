"""Correct: Cholesky factors everywhere, float64 inside and cast back to the input's dtype; the
ELBO computed as log p(x) - KL(q || p(z|x)) (the identity of the lecture, used the other way);
antithetic pairs (eps, -eps) in the Monte Carlo ELBO (still unbiased); a streaming log-sum-exp
over the k importance samples in the IWAE."""
# expect: full
import math

import torch


def _f64(*tensors):
    return [t.to(torch.float64) for t in tensors]


def log_marginal(x, W, b, sigma):
    out_dtype = x.dtype
    x, W, b = _f64(x, W, b)
    d = x.shape[-1]
    L = torch.linalg.cholesky(W @ W.T + sigma**2 * torch.eye(d, dtype=torch.float64))
    r = (x - b).T  # (d, B)
    sol = torch.cholesky_solve(r, L)  # C^{-1} r
    quad = (r * sol).sum(0)
    log_det = 2.0 * torch.log(torch.diagonal(L)).sum()
    return (-0.5 * (d * math.log(2 * math.pi) + log_det + quad)).to(out_dtype)


def _posterior64(x, W, b, sigma):
    k = W.shape[-1]
    P = torch.eye(k, dtype=torch.float64) + W.T @ W / sigma**2  # precision
    L = torch.linalg.cholesky(P)
    S = torch.cholesky_inverse(L)
    m = torch.cholesky_solve(W.T @ (x - b).T / sigma**2, L).T
    return m, S, L


def exact_posterior(x, W, b, sigma):
    out_dtype = x.dtype
    m, S, _ = _posterior64(*_f64(x, W, b), sigma)
    return m.to(out_dtype), S.to(out_dtype)


def _gap64(x, q_mu, q_log_var, W, b, sigma):
    m, S, L = _posterior64(x, W, b, sigma)  # L L^T = S^{-1}
    k = S.shape[0]
    v = q_log_var.exp()
    P = L @ L.T
    trace = (torch.diagonal(P) * v).sum(-1)
    y = (m - q_mu) @ L  # ||L^T (m - mu)||^2 = (m - mu)^T S^{-1} (m - mu)
    log_det_S = -2.0 * torch.log(torch.diagonal(L)).sum()
    return 0.5 * (trace + (y**2).sum(-1) - k + log_det_S - q_log_var.sum(-1))


def elbo_gap(x, q_mu, q_log_var, W, b, sigma):
    return _gap64(*_f64(x, q_mu, q_log_var, W, b), sigma).to(x.dtype)


def elbo(x, q_mu, q_log_var, W, b, sigma):
    args = _f64(x, q_mu, q_log_var, W, b)
    log_p = log_marginal(args[0], args[3], args[4], sigma)
    return (log_p - _gap64(*args, sigma)).to(x.dtype)


def _log_w(x, z, q_mu, q_log_var, W, b, sigma):
    d, k = W.shape
    lp = -0.5 * (k * math.log(2 * math.pi) + (z**2).sum(-1))
    ll = -0.5 * (d * math.log(2 * math.pi) + 2 * d * math.log(sigma)) - ((x - b - z @ W.T) ** 2).sum(-1) / (2 * sigma**2)
    lq = -0.5 * (k * math.log(2 * math.pi) + q_log_var.sum(-1) + ((z - q_mu) ** 2 * torch.exp(-q_log_var)).sum(-1))
    return lp + ll - lq


def elbo_monte_carlo(x, q_mu, q_log_var, W, b, sigma, n_samples):
    x64, mu, lv, W64, b64 = _f64(x, q_mu, q_log_var, W, b)
    std = torch.exp(0.5 * lv)
    half = n_samples // 2
    eps = torch.randn((half,) + mu.shape, dtype=torch.float64)
    terms = [_log_w(x64, mu + std * eps, mu, lv, W64, b64, sigma),
             _log_w(x64, mu - std * eps, mu, lv, W64, b64, sigma)]
    if n_samples % 2:
        e = torch.randn((1,) + mu.shape, dtype=torch.float64)
        terms.append(_log_w(x64, mu + std * e, mu, lv, W64, b64, sigma))
    return (torch.cat(terms).sum(0) / n_samples).to(x.dtype)


def iwae_bound(x, q_mu, q_log_var, W, b, sigma, k):
    x64, mu, lv, W64, b64 = _f64(x, q_mu, q_log_var, W, b)
    running = torch.full(mu.shape[:1], -math.inf, dtype=torch.float64)
    for _ in range(k):
        z = mu + torch.exp(0.5 * lv) * torch.randn_like(mu)
        running = torch.logaddexp(running, _log_w(x64, z, mu, lv, W64, b64, sigma))
    return (running - math.log(k)).to(x.dtype)
