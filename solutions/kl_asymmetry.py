"""Entropy, cross-entropy and the asymmetry of the KL divergence.

Fill in every function marked TODO. Conventions (all functions):

* Inputs are ``torch.Tensor``s of probabilities over the LAST dimension; leading
  dimensions are batch dimensions and are kept: an input of shape ``(..., K)`` gives an
  output of shape ``(...)``. The output has the input's dtype and device.
* Logarithms are natural (nats) unless ``base`` is given: ``log_b x = ln x / ln b``.
* ``0 log 0 = 0``: outcomes with ``p_k = 0`` add nothing. Where some ``p_k > 0`` has
  ``q_k = 0`` the answer is ``+inf``. Do not clip probabilities with an epsilon.
* Never modify an input in place.

Check your work: in the unzipped student folder, run ``python -m autograder check kl_asymmetry``.
Once everything is filled in, ``python kl_asymmetry.py`` prints the statement's examples.
Hand in ``kl_asymmetry.py`` or ``kl_asymmetry.ipynb``, not both.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    r"""Entropy of the distributions in ``p``: the expected surprise.

    .. math::  H(p) = \mathbb{E}_{Y \sim p}\left[\log \frac{1}{p(Y)}\right] = -\sum_k p_k \log p_k

    Outcomes with ``p_k = 0`` add nothing: ``0 log 0 = 0``.

    Args:
        p: probabilities, shape ``(..., K)``, each row summing to 1.
        base: base of the logarithm (``math.e`` gives nats, ``2`` gives bits).

    Returns:
        ``H(p)``, shape ``(...)``.
    """
    # BEGIN SOLUTION (compute -sum_k p_k log p_k over the last dimension, with 0 log 0 = 0)
    terms = torch.special.xlogy(p, p)  # p log p, and exactly 0 where p == 0
    return -terms.sum(dim=-1) / math.log(base)
    # END SOLUTION


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    r"""Cross-entropy of ``q`` relative to ``p``: the expected surprise under ``q`` of draws from ``p``.

    .. math::  H(p, q) = \mathbb{E}_{x \sim p}\left[\log \frac{1}{q(x)}\right] = -\sum_k p_k \log q_k

    Terms with ``p_k = 0`` add 0 (even where ``q_k = 0``); a ``p_k > 0`` with
    ``q_k = 0`` makes the result ``+inf``.

    Args:
        p: the distribution the outcomes are drawn from, shape ``(..., K)``.
        q: the distribution used to code them, same shape.
        base: base of the logarithm.

    Returns:
        ``H(p, q)``, shape ``(...)``.
    """
    # BEGIN SOLUTION (compute -sum_k p_k log q_k over the last dimension)
    return -torch.special.xlogy(p, q).sum(dim=-1) / math.log(base)
    # END SOLUTION


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    r"""Kullback-Leibler divergence of ``q`` from ``p``.

    .. math::  \mathrm{KL}(p \,\|\, q) = \sum_k p_k \log \frac{p_k}{q_k}
               = \mathbb{E}_{x \sim p}\left[-\log \frac{q(x)}{p(x)}\right]

    It is also ``H(p, q) - H(p)``. Same conventions as :func:`cross_entropy`: ``+inf`` where some ``p_k > 0`` has
    ``q_k = 0``; terms with ``p_k = 0`` add 0.

    Returns:
        ``KL(p || q)``, shape ``(...)``.
    """
    # BEGIN SOLUTION (compute sum_k p_k log(p_k / q_k) over the last dimension)
    return cross_entropy(p, q, base) - entropy(p, base)
    # END SOLUTION


def discussion_example() -> tuple[float, float]:
    """The example of Discussion 13, 1(a): ``p`` puts probability (0.5, 0.5) on the outcomes
    (+1, -1) and ``q`` puts (0.1, 0.9) on them.

    Returns:
        ``(KL(p || q), KL(q || p))`` in nats, as two numbers. They differ: KL is not symmetric.
    """
    # BEGIN SOLUTION (return (KL(p || q), KL(q || p)) for this example)
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.1, 0.9], dtype=torch.float64)
    return float(kl_divergence(p, q)), float(kl_divergence(q, p))
    # END SOLUTION


def mixture_log_prob(x: Tensor, weights: Tensor, means: Tensor, stds: Tensor) -> Tensor:
    r"""Log density of the 1-D Gaussian mixture :math:`p(x) = \sum_i w_i \mathcal{N}(x; m_i, s_i^2)`
    at every point of ``x`` (any shape). Provided for you: nothing to fill in."""
    x = x.unsqueeze(-1)
    log_normal = -0.5 * ((x - means) / stds) ** 2 - torch.log(stds) - 0.5 * math.log(2 * math.pi)
    return torch.logsumexp(torch.log(weights) + log_normal, dim=-1)


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    r"""The Gaussian :math:`\mathcal{N}(\mu, \sigma^2)` that minimises the forward KL
    :math:`\mathrm{KL}(p \,\|\, \mathcal{N}(\mu, \sigma^2))` for the mixture
    :math:`p = \sum_i w_i \mathcal{N}(m_i, s_i^2)`.

    Minimising the forward KL is the same as minimising the cross-entropy
    :math:`H(p, \mathcal{N})`, which matches the moments of ``p`` (mass-covering):

    .. math::  \mu = \sum_i w_i m_i, \qquad
               \sigma^2 = \sum_i w_i (s_i^2 + m_i^2) - \mu^2 = \sum_i w_i s_i^2 + \sum_i w_i (m_i - \mu)^2

    Args:
        weights, means, stds: 1-D tensors of equal length; weights positive, summing to 1.

    Returns:
        ``(mu, sigma)`` as numbers (``sigma`` is a standard deviation, not a variance).
    """
    # BEGIN SOLUTION (match the mean and the variance of the mixture)
    w, m, s = weights.double(), means.double(), stds.double()
    mu = (w * m).sum()
    variance = (w * (s**2 + m**2)).sum() - mu**2
    return float(mu), float(variance.sqrt())
    # END SOLUTION


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    r"""A local minimum of the reverse KL :math:`\mathrm{KL}(q \,\|\, p)` over
    :math:`q = \mathcal{N}(\mu, \sigma^2)`, found by gradient descent started at ``(init_mu, init_sigma)``.

    .. math::  \mathrm{KL}(q \,\|\, p) = \mathbb{E}_{x \sim q}[\log q(x) - \log p(x)]
               = -H(q) - \mathbb{E}_{x \sim q}[\log p(x)], \qquad H(q) = \tfrac12 \ln(2\pi e \sigma^2)

    The reverse KL is mode-seeking: when the mixture's modes are far apart, the fit
    settles on one of them (the one whose basin it starts in) instead of covering both.
    There is no closed form. Optimise over :math:`(\mu, \log\sigma)` so that
    :math:`\sigma` stays positive, with :math:`x = \mu + \sigma \varepsilon` (reparameterization):

    .. math::  \mathrm{KL}(q \,\|\, p) = -\log\sigma - \tfrac12 \ln(2\pi e)
               - \mathbb{E}_{\varepsilon}\big[\log p(\mu + \sigma\varepsilon)\big]

    Estimate the expectation accurately (a quadrature on a fine grid, or a fixed set of many
    standard-normal draws) and descend until the gradient with respect to
    :math:`(\mu, \log\sigma)` is tiny: there it vanishes, no direction descends, and the KL
    is no larger than at the start.

    Returns:
        ``(mu, sigma)`` as numbers.
    """
    # BEGIN SOLUTION (gradient descent on (mu, log sigma) of the reverse KL)
    w, m, s = weights.double(), means.double(), stds.double()
    # Quadrature on a fine grid: E_{eps ~ N(0,1)}[f(eps)] ~= sum_i c_i f(t_i)
    nodes = torch.linspace(-10.0, 10.0, 4001, dtype=torch.float64)
    coeffs = torch.exp(-0.5 * nodes**2)
    coeffs = coeffs / coeffs.sum()

    def reverse_kl(params: Tensor) -> Tensor:
        mu, log_sigma = params[0], params[1]
        x = mu + torch.exp(log_sigma) * nodes
        entropy_q = 0.5 * math.log(2 * math.pi * math.e) + log_sigma
        return -entropy_q - (coeffs * mixture_log_prob(x, w, m, s)).sum()

    # Gradient descent with a backtracking (Armijo) step: every step lowers the KL.
    params = torch.tensor([float(init_mu), math.log(float(init_sigma))], dtype=torch.float64)
    step = 1.0
    for _ in range(5000):
        params.requires_grad_(True)
        kl = reverse_kl(params)
        (grad,) = torch.autograd.grad(kl, params)
        params = params.detach()
        if grad.norm() < 1e-6:
            break
        step = min(1.0, 2 * step)
        while reverse_kl(params - step * grad) > kl - 0.5 * step * grad.dot(grad) and step > 1e-12:
            step /= 2
        params = params - step * grad
    return float(params[0].detach()), float(torch.exp(params[1].detach()))
    # END SOLUTION


# --------------------------------------------------------------------------- running this file
def main() -> None:
    """``python kl_asymmetry.py`` (in a notebook, ``main()``): the examples of the statement, computed
    with your functions."""
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.1, 0.9], dtype=torch.float64)
    print("p = (0.5, 0.5) and q = (0.1, 0.9) on the outcomes (+1, -1):")
    print(f"  H(p)    = {float(entropy(p)):.4f} nats = {float(entropy(p, base=2)):.4f} bits")
    print(f"  H(p, q) = {float(cross_entropy(p, q)):.4f} nats")
    kl_pq, kl_qp = discussion_example()
    print(f"  KL(p || q) = {float(kl_pq):.4f} nats, KL(q || p) = {float(kl_qp):.4f} nats: not symmetric")
    print(f"  H(p, q) - H(p) = {float(cross_entropy(p, q) - entropy(p)):.4f} nats = KL(p || q)")
    uniform = torch.full((256,), 1 / 256, dtype=torch.float64)
    print(f"The uniform distribution on 256 values: H = {float(entropy(uniform, base=2)):.4f} bits")
    sure, never = torch.tensor([0.0, 1.0]), torch.tensor([1.0, 0.0])
    h_sure = float(entropy(sure)) + 0.0  # + 0.0 prints a -0.0 as 0.0
    print(f"A sure outcome: H((0, 1)) = {h_sure:.4f}; KL((0, 1) || (1, 0)) = {float(kl_divergence(sure, never))}")

    weights = torch.tensor([0.5, 0.5], dtype=torch.float64)
    means = torch.tensor([-3.0, 3.0], dtype=torch.float64)
    stds = torch.tensor([1.0, 1.0], dtype=torch.float64)
    print("Fitting N(mu, sigma^2) to the mixture 0.5 N(-3, 1) + 0.5 N(3, 1):")
    mu, sigma = fit_forward_kl(weights, means, stds)
    print(f"  forward KL(p || N), mass-covering: mu = {float(mu):+.3f}, sigma = {float(sigma):.3f}")
    for start in (2.5, -2.5):
        mu, sigma = fit_reverse_kl(weights, means, stds, start, 0.8)
        print(f"  reverse KL(N || p) from ({start:+.1f}, 0.8), mode-seeking: mu = {float(mu):+.3f}, "
              f"sigma = {float(sigma):.3f}")


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
