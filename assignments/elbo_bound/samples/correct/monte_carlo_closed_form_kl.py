"""Correct: elbo_monte_carlo estimates only E_q[log p(x|z)] by Monte Carlo and subtracts the KL to the
prior in closed form (the SGVB estimator B of Kingma and Welling): unbiased for the ELBO, with
variance 1/n of one term's.
"""
# expect: full

from __future__ import annotations

import math

import torch
from torch import Tensor


def log_marginal(x: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    r"""Exact log-evidence :math:`\log p(x)`.

    Integrating z out gives a Gaussian: :math:`x = Wz + b + \sigma\varepsilon \sim \mathcal{N}(b,\; C)`
    with :math:`C = W W^\top + \sigma^2 I_d`, so

    .. math::  \log p(x) = -\tfrac12\left[d \log 2\pi + \log\det C + (x-b)^\top C^{-1} (x-b)\right]

    Args:
        x: data, shape ``(B, d)``.
        W: loading matrix, shape ``(d, k)``.
        b: offset, shape ``(d,)``.
        sigma: noise standard deviation, > 0.

    Returns:
        ``log p(x)`` for every row, shape ``(B,)``.
    """
    d = x.shape[-1]
    C = W @ W.T + sigma**2 * torch.eye(d, dtype=x.dtype, device=x.device)
    L = torch.linalg.cholesky(C)  # C = L L^T
    r = (x - b).unsqueeze(-1)  # (B, d, 1)
    y = torch.linalg.solve_triangular(L, r, upper=False).squeeze(-1)  # L^{-1} (x - b)
    log_det = 2 * torch.log(torch.diagonal(L)).sum()  # log det C
    return -0.5 * (d * math.log(2 * math.pi) + log_det + (y**2).sum(-1))


def exact_posterior(x: Tensor, W: Tensor, b: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
    r"""The true posterior :math:`p(z \mid x) = \mathcal{N}(m, S)`, by Bayes' rule:

    .. math::  S = \left(I_k + \tfrac{1}{\sigma^2} W^\top W\right)^{-1}, \qquad
               m = \tfrac{1}{\sigma^2} S W^\top (x - b)

    :math:`I_k + W^\top W / \sigma^2` is the posterior *precision*; the covariance is its inverse.

    Returns:
        ``(mean, cov)``: mean ``(B, k)``, one row per example; cov ``(k, k)`` (the same for every x).
    """
    k = W.shape[-1]
    precision = torch.eye(k, dtype=W.dtype, device=W.device) + W.T @ W / sigma**2
    cov = torch.linalg.inv(precision)
    mean = (x - b) @ W @ cov.T / sigma**2  # row-wise m^T = (x - b)^T W S^T / sigma^2
    return mean, cov


def elbo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    r"""Closed-form ELBO for :math:`q(z|x) = \mathcal{N}(\mu, \operatorname{diag} v)`, :math:`v = e^{\text{q\_log\_var}}`:

    .. math::
        \mathrm{ELBO} = \mathbb{E}_q[\log p(x|z)] - \mathrm{KL}(q \,\|\, \mathcal{N}(0, I))

        \mathbb{E}_q[\log p(x|z)] = -\tfrac d2 \log(2\pi\sigma^2)
            - \frac{\lVert x - W\mu - b\rVert^2 + \sum_j v_j \lVert W_{:,j}\rVert^2}{2\sigma^2}

        \mathrm{KL}(q \,\|\, \mathcal{N}(0, I)) = \tfrac12 \sum_j \left(v_j + \mu_j^2 - 1 - \log v_j\right)

    The trace term :math:`\sum_j v_j \lVert W_{:,j}\rVert^2 = \mathbb{E}_q\lVert W(z - \mu)\rVert^2`
    is what the spread of ``q`` costs the reconstruction.

    Args:
        q_mu, q_log_var: mean and log-variance of ``q(z|x)``, shape ``(B, k)`` each.

    Returns:
        the ELBO of every row, shape ``(B,)``.
    """
    d = x.shape[-1]
    v = q_log_var.exp()
    residual = x - b - q_mu @ W.T  # x - (W mu + b)
    trace = (v * (W**2).sum(0)).sum(-1)  # sum_j v_j ||W[:, j]||^2
    expected_log_lik = -0.5 * d * math.log(2 * math.pi * sigma**2) - ((residual**2).sum(-1) + trace) / (2 * sigma**2)
    kl = 0.5 * (v + q_mu**2 - 1 - q_log_var).sum(-1)
    return expected_log_lik - kl


def log_weights(x: Tensor, z: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor,
                sigma: float) -> Tensor:
    r"""Log importance weights :math:`\ell = \log p(x, z) - \log q(z|x)` for draws ``z`` of shape
    ``(n, B, k)`` (``n`` draws for each of the ``B`` rows). A helper for :func:`elbo_monte_carlo`
    and :func:`iwae_bound`; not graded on its own.

    .. math::
        \log p(x, z) = \log \mathcal{N}(z; 0, I_k) + \log \mathcal{N}(x; Wz + b, \sigma^2 I_d)

        \log \mathcal{N}(y; m, \operatorname{diag} s^2) = -\tfrac12 \sum_i \left[\log(2\pi s_i^2) + (y_i - m_i)^2 / s_i^2\right]

    Returns:
        shape ``(n, B)``.
    """
    d, k = x.shape[-1], z.shape[-1]
    log_prior = -0.5 * (k * math.log(2 * math.pi) + (z**2).sum(-1))
    mean_x = z @ W.T + b  # (n, B, d)
    log_lik = -0.5 * d * math.log(2 * math.pi * sigma**2) - ((x - mean_x) ** 2).sum(-1) / (2 * sigma**2)
    log_q = -0.5 * (k * math.log(2 * math.pi) + q_log_var.sum(-1) + ((z - q_mu) ** 2 / q_log_var.exp()).sum(-1))
    return log_prior + log_lik - log_q


def elbo_monte_carlo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
                     n_samples: int) -> Tensor:
    r"""Reparameterized Monte Carlo estimate of the same ELBO:

    .. math::  \frac1n \sum_{s=1}^{n} \left[\log p(x, z_s) - \log q(z_s|x)\right], \quad
               z_s = \mu + e^{\text{q\_log\_var}/2} \odot \varepsilon_s,\ \varepsilon_s \sim \mathcal{N}(0, I)

    Every call draws fresh noise; here each row of the batch gets its own ``n_samples`` draws
    (noise of shape ``(n_samples, B, k)``).

    Returns:
        shape ``(B,)``.
    """
    std = torch.exp(0.5 * q_log_var)
    eps = torch.randn((n_samples,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (n, B, k)
    d = x.shape[-1]
    mean_x = z @ W.T + b  # (n, B, d)
    log_lik = -0.5 * d * math.log(2 * math.pi * sigma**2) - ((x - mean_x) ** 2).sum(-1) / (2 * sigma**2)
    kl = 0.5 * (q_log_var.exp() + q_mu**2 - 1 - q_log_var).sum(-1)
    return log_lik.mean(0) - kl


def elbo_gap(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    r"""The gap :math:`\log p(x) - \mathrm{ELBO} = \mathrm{KL}(q(z|x) \,\|\, p(z|x)) \ge 0`,
    the KL from the approximate posterior to the true one (``q`` first). For
    :math:`q = \mathcal{N}(\mu, V)`, :math:`V = \operatorname{diag} v`, and :math:`p(z|x) = \mathcal{N}(m, S)`:

    .. math::  \tfrac12\left[\operatorname{tr}(S^{-1} V) + (m-\mu)^\top S^{-1} (m-\mu) - k + \log\det S - \sum_j \log v_j\right]

    (``log_marginal(...) - elbo(...)`` is the same number.)

    Returns:
        shape ``(B,)``.
    """
    m, S = exact_posterior(x, W, b, sigma)
    k = q_mu.shape[-1]
    S_inv = torch.linalg.inv(S)  # the precision I + W^T W / sigma^2
    v = q_log_var.exp()
    diff = m - q_mu
    trace = (torch.diagonal(S_inv) * v).sum(-1)  # tr(S^{-1} V) with V diagonal
    mahalanobis = ((diff @ S_inv) * diff).sum(-1)
    return 0.5 * (trace + mahalanobis - k + torch.logdet(S) - q_log_var.sum(-1))


def iwae_bound(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
               k: int) -> Tensor:
    r"""One draw of the importance-weighted estimate with ``k`` samples (``k`` is not the latent size):

    .. math::  \log \frac1k \sum_{j=1}^{k} \frac{p(x, z_j)}{q(z_j|x)}, \qquad z_j \sim q(z|x)

    Its expectation is the IWAE bound: at least the ELBO (equal for ``k = 1``), non-decreasing
    in ``k``, at most :math:`\log p(x)`; a single draw may exceed :math:`\log p(x)`. Each row
    of the batch gets its own ``k`` independent draws, fresh at every call.

    The weights :math:`e^{\ell_j}` themselves underflow (log-weights of -1000 are common when
    ``q`` is poor), so never form them; use log-sum-exp on the log-weights :math:`\ell_j`:

    .. math::  \log \frac1k \sum_j e^{\ell_j} = \operatorname{logsumexp}_j(\ell_j) - \log k

    Returns:
        shape ``(B,)``.
    """
    std = torch.exp(0.5 * q_log_var)
    eps = torch.randn((k,) + q_mu.shape, dtype=q_mu.dtype, device=q_mu.device)
    z = q_mu + std * eps  # (k, B, latent)
    return torch.logsumexp(log_weights(x, z, q_mu, q_log_var, W, b, sigma), dim=0) - math.log(k)
