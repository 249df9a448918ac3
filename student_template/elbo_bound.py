"""The ELBO is a lower bound: a linear-Gaussian model where every quantity has a closed form.

Model (Discussion 13 §3(d); "Information theory for deep latent variable models"):

    z ~ N(0, I_k),        x | z ~ N(W z + b, sigma^2 I_d)

with ``x``: (B, d), ``W``: (d, k), ``b``: (d,), ``sigma`` a positive float (a standard
deviation: the noise variance is ``sigma**2``). For any approximate posterior ``q(z|x)``,

    log p(x) = ELBO(q) + KL(q(z|x) || p(z|x)),     so   ELBO(q) <= log p(x),

with equality exactly when ``q`` is the true posterior.

Conventions: every row of ``x`` (and of ``q_mu``, ``q_log_var``) is its own example; outputs
have one value per row, in the input's dtype and on its device; logarithms are natural.
Never modify an input in place. Fill in every TODO, then check your work: in the unzipped
student folder, run ``python -m autograder check elbo_bound``. Once everything is filled in,
``python elbo_bound.py`` prints the bound and its gap on a small model. Hand in ``elbo_bound.py``
or ``elbo_bound.ipynb``, not both.
"""
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
    # TODO: log-density of N(b, W W^T + sigma^2 I) at each row of x
    raise NotImplementedError


def exact_posterior(x: Tensor, W: Tensor, b: Tensor, sigma: float) -> tuple[Tensor, Tensor]:
    r"""The true posterior, by Bayes' rule:

    .. math::  p(z \mid x) = \mathcal N(m, S), \qquad S = \left(I_k + \tfrac{1}{\sigma^2} W^\top W\right)^{-1}, \qquad
               m = \tfrac{1}{\sigma^2} S W^\top (x - b)

    :math:`I_k + W^\top W / \sigma^2` is the posterior *precision*; the covariance is its inverse.

    Returns:
        ``(mean, cov)``: mean ``(B, k)``, one row per example; cov ``(k, k)`` (the same for every x).
    """
    # TODO: posterior covariance S and mean m for each row of x
    raise NotImplementedError


def elbo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    r"""Closed-form ELBO for :math:`q(z|x) = \mathcal{N}(\mu, \operatorname{diag} v)`, :math:`v = e^{\text{q\_log\_var}}`:

    .. math::
        \mathrm{ELBO}(q) = \mathbb{E}_q[\log p(x \mid z)] - \mathrm{KL}(q(z \mid x) \,\|\, p(z))
         = \mathbb{E}_q[\log p(x, z)] - \mathbb{E}_q[\log q(z \mid x)]

        \mathbb{E}_q[\log p(x \mid z)] = -\tfrac d2 \log(2\pi\sigma^2)
            - \frac{\lVert x - W\mu - b\rVert^2 + \sum_j v_j \lVert W_{:,j}\rVert^2}{2\sigma^2}

        \mathrm{KL}(q \,\|\, \mathcal{N}(0, I)) = \tfrac12 \sum_j \left(v_j + \mu_j^2 - 1 - \log v_j\right)

    The trace term :math:`\sum_j v_j \lVert W_{:,j}\rVert^2 = \mathbb{E}_q\lVert W(z - \mu)\rVert^2`
    is what the spread of ``q`` costs the reconstruction.

    Args:
        q_mu, q_log_var: mean and log-variance of ``q(z|x)``, shape ``(B, k)`` each.

    Returns:
        the ELBO of every row, shape ``(B,)``.
    """
    # TODO: expected log-likelihood minus KL to the prior
    raise NotImplementedError


def log_weights(x: Tensor, z: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor,
                sigma: float) -> Tensor:
    r"""Log importance weights :math:`\ell = \log p(x, z) - \log q(z|x)` for draws ``z`` of shape
    ``(n, B, k)`` (``n`` draws for each of the ``B`` rows). A helper for :func:`elbo_monte_carlo`
    and :func:`iwae_bound`: fill it in and use it there, or write them without it.

    .. math::
        \log p(x, z) = \log \mathcal{N}(z; 0, I_k) + \log \mathcal{N}(x; Wz + b, \sigma^2 I_d)

        \log \mathcal{N}(y; m, \operatorname{diag} s^2) = -\tfrac12 \sum_i \left[\log(2\pi s_i^2) + (y_i - m_i)^2 / s_i^2\right]

    Returns:
        shape ``(n, B)``.
    """
    # TODO: log prior + log likelihood - log q, each a sum over coordinates
    raise NotImplementedError


def elbo_monte_carlo(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
                     n_samples: int) -> Tensor:
    r"""Reparameterized Monte Carlo estimate of the same ELBO:

    .. math::  \widehat{\mathrm{ELBO}} = \frac1n \sum_{s=1}^{n} \left[\log p(x, z_s) - \log q(z_s \mid x)\right],
               \qquad z_s = \mu + \sqrt v \odot \varepsilon_s, \ \varepsilon_s \sim \mathcal{N}(0, I_k)

    with :math:`v = e^{\text{q\_log\_var}}`.

    Every call draws fresh noise; here each row of the batch gets its own ``n_samples`` draws
    (noise of shape ``(n_samples, B, k)``).

    Returns:
        shape ``(B,)``.
    """
    # TODO: average log p(x, z) - log q(z|x) over n reparameterized draws
    raise NotImplementedError


def elbo_gap(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float) -> Tensor:
    r"""The gap :math:`\log p(x) - \mathrm{ELBO} = \mathrm{KL}(q(z|x) \,\|\, p(z|x)) \ge 0`,
    the KL from the approximate posterior to the true one (``q`` first). For
    :math:`q = \mathcal{N}(\mu, V)` and :math:`p(z|x) = \mathcal{N}(m, S)`:

    .. math::  \mathrm{KL}(q \,\|\, p(z \mid x)) = \tfrac12\left[\operatorname{tr}(S^{-1} V) + (m-\mu)^\top S^{-1} (m-\mu) - k
               + \log\det S - \sum_j \log v_j\right], \qquad V = \operatorname{diag} v

    (``log_marginal(...) - elbo(...)`` is the same number.)

    Returns:
        shape ``(B,)``.
    """
    # TODO: KL(q || p(z|x)) between two Gaussians
    raise NotImplementedError


def iwae_bound(x: Tensor, q_mu: Tensor, q_log_var: Tensor, W: Tensor, b: Tensor, sigma: float,
               k: int) -> Tensor:
    r"""One draw of the importance-weighted estimate with ``k`` samples (``k`` is not the latent size):

    .. math::  \log \frac1k \sum_{j=1}^{k} \frac{p(x, z_j)}{q(z_j \mid x)}, \qquad
               z_1, \dots, z_k \sim q(z \mid x) \text{ independently}

    Its expectation is the IWAE bound: at least the ELBO (equal for ``k = 1``), non-decreasing
    in ``k``, at most :math:`\log p(x)`; a single draw may exceed :math:`\log p(x)`. Each row
    of the batch gets its own ``k`` independent draws, fresh at every call.

    The weights :math:`e^{\ell_j}` themselves underflow (log-weights of -1000 are common when
    ``q`` is poor), so never form them; use log-sum-exp on the log-weights :math:`\ell_j`:

    .. math::  \log \frac1k \sum_j e^{\ell_j} = m + \log \frac1k \sum_j e^{\ell_j - m}, \quad m = \max_j \ell_j,
               \qquad \text{i.e. } \texttt{torch.logsumexp}(\ell) - \log k

    Returns:
        shape ``(B,)``.
    """
    # TODO: log-mean-exp of k importance log-weights
    raise NotImplementedError


# --------------------------------------------------------------------------- running this file
def main() -> None:
    """``python elbo_bound.py`` (in a notebook, ``main()``): the bound and its gap on a model small
    enough to do by hand (d = 2, k = 1), computed with your functions."""
    torch.manual_seed(0)
    x = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    W = torch.tensor([[1.0], [0.0]], dtype=torch.float64)
    b = torch.tensor([0.0, 0.5], dtype=torch.float64)
    sigma = 0.5
    log_px = float(log_marginal(x, W, b, sigma))
    by_hand = -math.log(2 * math.pi) - 0.5 * math.log(5 / 16) - 0.9
    print("Model: z ~ N(0, 1), x | z ~ N((z, 1/2), I / 4); the data point x = (1, 1).")
    print(f"  log p(x) = {log_px:.4f} (by hand: -log 2 pi - log(5/16) / 2 - 9/10 = {by_hand:.4f})")
    mean, cov = exact_posterior(x, W, b, sigma)
    print(f"  p(z | x) = N({float(mean):.4f}, {float(cov):.4f}) (by hand: N(4/5, 1/5))")

    print(f"  {'q(z | x)':12s} {'ELBO':>9s} {'elbo_gap':>9s} {'log p(x) - ELBO':>16s}")
    for name, q_mu, q_var in (("N(0, 1)", 0.0, 1.0), ("N(1, 1/4)", 1.0, 0.25), ("p(z | x)", 0.8, 0.2)):
        q_mu_t = torch.tensor([[q_mu]], dtype=torch.float64)
        q_log_var = torch.tensor([[math.log(q_var)]], dtype=torch.float64)
        bound = float(elbo(x, q_mu_t, q_log_var, W, b, sigma))
        gap = float(elbo_gap(x, q_mu_t, q_log_var, W, b, sigma))
        print(f"  {name:12s} {bound:9.4f} {gap:9.4f} {log_px - bound:16.4f}")

    q_mu, q_log_var = torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    rows = x.expand(2000, 2)  # 2000 independent estimates at once: one per row
    mu_rows, log_var_rows = q_mu.expand(2000, 1), q_log_var.expand(2000, 1)
    closed = float(elbo(x, q_mu, q_log_var, W, b, sigma))
    print(f"With q = N(0, 1): closed-form ELBO {closed:.4f}; 2000 independent estimates of each kind:")
    for n in (1, 10, 100):
        estimates = elbo_monte_carlo(rows, mu_rows, log_var_rows, W, b, sigma, n)
        print(f"  Monte Carlo ELBO, n = {n:3d}:  mean {float(estimates.mean()):8.4f}, "
              f"standard deviation {float(estimates.std()):.4f}")
    for k in (1, 10, 100, 1000):
        estimates = iwae_bound(rows, mu_rows, log_var_rows, W, b, sigma, k)
        print(f"  IWAE bound, k = {k:4d}:        mean {float(estimates.mean()):8.4f} (log p(x) = {log_px:.4f})")


if __name__ == "__main__":
    import sys
    from pathlib import Path

    try:
        main()
    except NotImplementedError as error:  # a TODO left: say which, instead of a traceback
        where = error.__traceback__
        while where.tb_next is not None:
            where = where.tb_next
        code = where.tb_frame.f_code
        if Path(code.co_filename).resolve() != Path(__file__).resolve():
            raise
        sys.exit(f"{getattr(code, 'co_qualname', code.co_name)} (line {where.tb_lineno}) is still a TODO: "
                 "fill it in, then run this file again.")
