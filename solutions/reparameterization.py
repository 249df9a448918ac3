"""The reparameterization trick, and why it beats the score-function estimator.

Fill in every function marked TODO. Conventions (all functions):

* Inputs and outputs are ``torch.Tensor``s; the output has the input's dtype and device.
* Random noise comes from torch's global generator (``torch.randn``, ``torch.randn_like``):
  do not seed it yourself; every call draws fresh noise.
* Never modify an input in place.

Check your work: in the unzipped student folder, run ``python -m autograder check reparameterization``.
Once everything is filled in, ``python reparameterization.py`` prints the statement's examples.
Hand in ``reparameterization.py`` or ``reparameterization.ipynb``, not both.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import Tensor


def sample_gaussian(mu: Tensor, log_var: Tensor, eps: Tensor | None = None) -> Tensor:
    r"""Draw :math:`z \sim \mathcal{N}(\mu, \operatorname{diag}\sigma^2)` by reparameterization.

    .. math::  z = \mu + \sigma \odot \varepsilon, \qquad \sigma = \exp(\tfrac12 \log\sigma^2),
               \qquad \varepsilon \sim \mathcal{N}(0, I)

    All the randomness sits in :math:`\varepsilon`, which does not depend on the parameters,
    so :math:`z` is a deterministic, differentiable function of ``mu`` and ``log_var``:
    :math:`\partial z / \partial \mu = 1` and
    :math:`\partial z / \partial \log\sigma^2 = \tfrac12 \sigma \varepsilon`.

    Args:
        mu: means, any shape.
        log_var: log-variances :math:`\log \sigma^2`, same shape as ``mu``.
        eps: standard-normal noise of the same shape; when ``None``, draw a fresh,
            independent :math:`\varepsilon` for every entry (``torch.randn_like(mu)``).

    Returns:
        ``z``, shaped like ``mu``, differentiable with respect to ``mu`` and ``log_var``.
    """
    # BEGIN SOLUTION (z = mu + exp(log_var / 2) * eps, drawing eps ~ N(0, I) only when it is not given)
    if eps is None:
        eps = torch.randn_like(mu)
    sigma = torch.exp(0.5 * log_var)
    return mu + sigma * eps
    # END SOLUTION


def pathwise_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    r"""Pathwise (reparameterization) estimate of :math:`\frac{d}{d\theta} \mathbb{E}_{x \sim \mathcal{N}(\theta, 1)}[x^2]`.

    Write the sample as :math:`x = \theta + \varepsilon`, :math:`\varepsilon \sim \mathcal{N}(0, 1)`.
    Then the gradient moves inside the expectation:

    .. math::  \frac{d}{d\theta} \mathbb{E}_{x \sim \mathcal{N}(\theta, 1)}[x^2]
               = \frac{d}{d\theta} \mathbb{E}_\varepsilon[(\theta + \varepsilon)^2]
               = \mathbb{E}_\varepsilon[2(\theta + \varepsilon)] = 2\theta

    The estimate :math:`\frac1n \sum_{i=1}^n 2(\theta + \varepsilon_i)` is unbiased with
    variance :math:`4/n`.

    Args:
        theta: the means, any shape; every entry is its own problem with its own
            ``n_samples`` independent draws.
        n_samples: the number ``n`` of draws per entry (a plain Monte Carlo average: no
            antithetic pairs, no control variates).

    Returns:
        The estimates, shaped like ``theta``.
    """
    # BEGIN SOLUTION (average 2 (theta + eps_i) over n_samples independent draws per entry)
    eps = torch.randn(n_samples, *theta.shape, dtype=theta.dtype, device=theta.device)
    x = theta + eps  # x_i = theta + eps_i, one row per draw
    return (2 * x).mean(dim=0)
    # END SOLUTION


def score_function_grad_quadratic(theta: Tensor, n_samples: int) -> Tensor:
    r"""Score-function (REINFORCE, likelihood-ratio) estimate of the same gradient.

    It differentiates the density instead of the sample:

    .. math::  \frac{d}{d\theta} \mathbb{E}_{x \sim p_\theta}[f(x)]
               = \mathbb{E}_{x \sim p_\theta}\big[f(x)\, \nabla_\theta \log p_\theta(x)\big]

    Here :math:`f(x) = x^2` and, for :math:`\mathcal{N}(\theta, 1)`, the score is
    :math:`\nabla_\theta \log p_\theta(x) = x - \theta`, so the estimate is
    :math:`\frac1n \sum_{i=1}^n x_i^2 (x_i - \theta)`. It is unbiased too, but its variance is
    :math:`(\theta^4 + 14\theta^2 + 15)/n`, far above the pathwise :math:`4/n`.

    Args:
        theta: the means, any shape; independent draws for every entry.
        n_samples: the number ``n`` of draws per entry (no baseline).

    Returns:
        The estimates, shaped like ``theta``.
    """
    # BEGIN SOLUTION (average x_i^2 * (x_i - theta) over n_samples independent draws x_i ~ N(theta, 1))
    x = theta + torch.randn(n_samples, *theta.shape, dtype=theta.dtype, device=theta.device)
    score = x - theta  # d/dtheta log N(x; theta, 1)
    return (x**2 * score).mean(dim=0)
    # END SOLUTION


def pathwise_gradient(f: Callable[[Tensor, Tensor], Tensor],
                      loss: Callable[[Tensor], Tensor],
                      theta: Tensor, v: Tensor) -> Tensor:
    r"""The general pathwise estimator of seed 002, 2(d).

    With :math:`x = f_\theta(v)` and noise :math:`v` that does not depend on :math:`\theta`,

    .. math::  \nabla_\theta \, \mathbb{E}_v[\mathcal{L}(f_\theta(v))]
               = \mathbb{E}_v[\nabla_\theta \mathcal{L}(f_\theta(v))]
               \;\approx\; \frac1N \sum_{i=1}^N \nabla_\theta \mathcal{L}(f_\theta(v_i)),

    and each term is the chain rule :math:`(\partial f_\theta(v_i)/\partial\theta)^\top \nabla_x \mathcal{L}`:
    autograd computes it for you.

    Args:
        f: ``f(theta, v[i])`` returns the sample ``x`` for the draw ``v[i]``.
        loss: ``loss(x)`` returns a 0-dim tensor.
        theta: the parameters. It arrives with ``requires_grad=False`` and must be left
            exactly as it is (its values, its ``.grad`` and its ``requires_grad`` flag):
            differentiate with respect to a copy.
        v: the ``N`` noise draws, ``v[0], ..., v[N-1]`` along the first dimension.

    Returns:
        The average gradient, shaped like ``theta``, not attached to any graph.
    """
    # BEGIN SOLUTION (average grad_theta loss(f(theta, v[i])) over the draws, differentiating a copy of theta)
    total = torch.zeros_like(theta)
    for v_i in v:
        theta_copy = theta.detach().clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss(f(theta_copy, v_i)), theta_copy)
        total = total + grad
    return total / len(v)
    # END SOLUTION


# --------------------------------------------------------------------------- running this file
def _numbers(t: Tensor) -> str:
    return "(" + ", ".join(f"{float(x):.3f}" for x in t) + ")"


def main() -> None:
    """``python reparameterization.py`` (in a notebook, ``main()``): the examples of the statement,
    computed with your functions."""
    torch.manual_seed(0)
    mu, log_var = torch.tensor([1.0, -2.0]), torch.tensor([0.0, math.log(0.25)])
    z = sample_gaussian(mu.expand(100_000, 2), log_var.expand(100_000, 2))
    print("sample_gaussian, 100000 draws of N((1, -2), diag(1, 0.25)):")
    print(f"  means {_numbers(z.mean(0))}, standard deviations {_numbers(z.std(0))} (expected (1, -2) and (1, 0.5))")
    mu, log_var = mu.clone().requires_grad_(True), log_var.clone().requires_grad_(True)
    eps = torch.tensor([0.5, -1.0])
    sample_gaussian(mu, log_var, eps).sum().backward()
    print(f"  with eps = (0.5, -1): dz/dmu = {_numbers(mu.grad)}, dz/dlog_var = {_numbers(log_var.grad)} "
          "(expected 1 and sigma * eps / 2)")

    n = 100
    print(f"d/dtheta E[x^2] = 2 theta for x ~ N(theta, 1), estimated from n = {n} draws, 2000 times:")
    print("  theta  pathwise: mean, variance (4/n)   score function: mean, variance ((theta^4 + 14 theta^2 + 15)/n)")
    for theta in (0.0, 1.0, 3.0):
        thetas = torch.full((2000,), theta, dtype=torch.float64)
        path, score = pathwise_grad_quadratic(thetas, n), score_function_grad_quadratic(thetas, n)
        print(f"  {theta:5.1f}  {path.mean():8.3f} {path.var():8.4f} ({4 / n:.4f})"
              f"        {score.mean():8.3f} {score.var():8.4f} ({(theta**4 + 14 * theta**2 + 15) / n:.4f})")

    theta = torch.tensor([0.5, -1.5])
    v = torch.randn(1000, 2)
    grad = pathwise_gradient(lambda t, v_i: t + v_i, lambda x: (x**2).sum(), theta, v)
    print(f"pathwise_gradient with f(theta, v) = theta + v, loss(x) = |x|^2, theta = {theta.tolist()}, 1000 draws:")
    print(f"  {_numbers(grad)} (expected about 2 theta = {_numbers(2 * theta)})")


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
