"""Differential entropy and its perils: Gaussian models, quantization, KDE, dequantization.

Fill in every function marked TODO. Conventions (all functions):

* Inputs and outputs are ``torch.Tensor``s unless stated; the functions that take or return
  plain numbers say so. The output has the input's dtype and device (computing in
  ``float64`` inside is fine, as long as you cast back).
* Logarithms are natural (nats); ``sigma`` is always a standard deviation, never a variance.
* Leading dimensions are batch dimensions; sums run over the last dimension.
* Never modify an input in place.

Check your work: in the unzipped student folder, run ``python -m autograder check differential_entropy``.
Once everything is filled in, ``python differential_entropy.py`` prints the statement's examples.
Hand in ``differential_entropy.py`` or ``differential_entropy.ipynb``, not both.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor


def gaussian_entropy(sigma: Tensor) -> Tensor:
    r"""Differential entropy, in nats, of :math:`\mathcal{N}(\mu, \sigma^2)`, elementwise.

    .. math::  h(\mathcal{N}(\mu, \sigma^2)) = \mathbb{E}\left[\ln\left(\sqrt{2\pi}\,\sigma\right) + \frac{(x - \mu)^2}{2\sigma^2}\right]
               = \ln \sigma + \tfrac12 \ln(2\pi) + \tfrac12 = \ln \sigma + \tfrac12 \ln(2\pi e) = \tfrac12 \ln(2 \pi e \sigma^2)

    It does not depend on :math:`\mu` and is negative for :math:`\sigma < 1/\sqrt{2\pi e} \approx 0.242`.

    Args:
        sigma: standard deviations (> 0), any shape.

    Returns:
        ``h``, same shape as ``sigma``.
    """
    # BEGIN SOLUTION (ln sigma + 0.5 ln(2 pi e), elementwise)
    return torch.log(sigma) + 0.5 * math.log(2 * math.pi * math.e)
    # END SOLUTION


def quantized_entropy(sigma: float, width: float) -> float:
    r"""Entropy, in nats, of the bin index :math:`k = \lfloor X / w \rfloor` for
    :math:`X \sim \mathcal{N}(0, \sigma^2)` and bins of width :math:`w`.

    .. math::  P_k = \Phi\!\left(\tfrac{(k+1) w}{\sigma}\right) - \Phi\!\left(\tfrac{k w}{\sigma}\right),
               \qquad H(k) = -\sum_k P_k \ln P_k,
               \qquad \Phi(t) = \tfrac12 \left(1 + \operatorname{erf}(t / \sqrt 2)\right)

    Sum over every bin that holds probability; bins beyond 12 sigma on either side may be
    dropped. As ``width -> 0`` this approaches ``gaussian_entropy(sigma) - ln(width)``, which
    grows without bound; at coarse widths it differs from that approximation.

    Args:
        sigma, width: positive numbers.

    Returns:
        ``H`` as a number (anything ``float()`` accepts).
    """
    # BEGIN SOLUTION (P_k from the normal CDF for every bin within 12 sigma, then -sum P_k ln P_k)
    # Bin k = [k w, (k + 1) w) mirrors bin -k - 1, so P_k = P_{-k-1}: sum the bins k >= 0 twice,
    # with the upper-tail function erfc, which keeps its relative precision far out in the tail.
    last = math.floor(12 * sigma / width)
    edges = torch.arange(last + 2, dtype=torch.float64) * (width / (sigma * math.sqrt(2)))
    tail = 0.5 * torch.special.erfc(edges)  # P(X >= k w)
    p = tail[:-1] - tail[1:]
    return float(-2 * torch.special.xlogy(p, p).sum())
    # END SOLUTION


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    r"""KL divergence, in nats, of :math:`q = \mathcal{N}(\mu_q, \sigma_q^2)` from
    :math:`p = \mathcal{N}(\mu_p, \sigma_p^2)`, elementwise (1-D Gaussians; the arguments broadcast).

    .. math::  \mathrm{KL}\big(\mathcal{N}(\mu_p, \sigma_p^2) \,\|\, \mathcal{N}(\mu_q, \sigma_q^2)\big)
               = -h(p) + \mathbb{E}_p\left[-\ln q(x)\right]
               = \ln \frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2 \sigma_q^2} - \frac12

    Never negative, zero when ``p = q`` whatever ``sigma``, and unchanged by a change of units
    (scaling every mean and every sigma by the same ``a > 0``).

    Returns:
        ``KL(p || q)``, the broadcast shape of the arguments.
    """
    # BEGIN SOLUTION (the closed form above: variances, not standard deviations, in the fraction)
    return (torch.log(sigma_q / sigma_p)
            + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2) - 0.5)
    # END SOLUTION


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    r"""Mutual information, in nats, of jointly Gaussian :math:`X, Y` with unit variances and
    correlation :math:`\rho` (:math:`|\rho| < 1`), elementwise.

    .. math::  I(X; Y) = h(Y) - h(Y \mid X) = \tfrac12 \ln(2\pi e) - \tfrac12 \ln\big(2\pi e (1 - \rho^2)\big)
               = -\tfrac12 \ln(1 - \rho^2)

    Returns:
        ``I``, same shape as ``rho``.
    """
    # BEGIN SOLUTION (h(Y) - h(Y | X) with Y | X ~ N(rho X, 1 - rho^2))
    return -0.5 * torch.log1p(-rho * rho)
    # END SOLUTION


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    r"""Average log-likelihood, in nats, of the rows of ``x`` under the Gaussian kernel density
    estimate built on the rows of ``train``:

    .. math::  \hat p_\sigma(x) = \frac1N \sum_{i=1}^N \mathcal{N}(x; t_i, \sigma^2 I_d), \qquad
               \ln \mathcal{N}(x; t, \sigma^2 I_d) = -\frac{\|x - t\|^2}{2\sigma^2} - \frac d2 \ln(2\pi\sigma^2)

    The result is :math:`\frac1M \sum_{m=1}^M \ln \hat p_\sigma(x_m)`.
    Compute :math:`\ln \hat p` with a log-sum-exp (``torch.logsumexp``), never as the log of a
    sum of ``exp``: with ``sigma = 1e-3`` and ``d = 64`` every ``exp`` underflows to 0.

    Args:
        train: ``(N, d)``, the kernel centres.
        x: ``(M, d)``, the points to score.
        sigma: the bandwidth (a number or a 0-dim tensor), > 0.

    Returns:
        a 0-dim tensor.
    """
    # BEGIN SOLUTION (log-sum-exp over the training points of the log kernels, minus ln N, averaged over x)
    n, d = train.shape
    squared = ((x[:, None, :] - train[None, :, :]) ** 2).sum(dim=-1)  # (M, N)
    log_kernel = -squared / (2 * sigma**2) - 0.5 * d * math.log(2 * math.pi * float(sigma) ** 2)
    return (torch.logsumexp(log_kernel, dim=1) - math.log(n)).mean()
    # END SOLUTION


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    r"""The KDE's negative log-likelihood, per bandwidth, on its own training set and on a
    held-out set:

    ``train_nll[s] = -kde_log_likelihood(train, train, sigmas[s])`` and
    ``heldout_nll[s] = -kde_log_likelihood(train, heldout, sigmas[s])``.

    Each training point is in its own sum (no leave-one-out), so the training NLL falls
    without bound as ``sigma -> 0``, while the held-out NLL has a finite minimum.

    Args:
        train: ``(N, d)``; heldout: ``(M, d)``; sigmas: ``(S,)`` bandwidths.

    Returns:
        ``(train_nll, heldout_nll)``, two ``(S,)`` tensors with ``train``'s dtype.
    """
    # BEGIN SOLUTION (one kde_log_likelihood per bandwidth, for each set, negated)
    train_nll = torch.stack([-kde_log_likelihood(train, train, s) for s in sigmas])
    heldout_nll = torch.stack([-kde_log_likelihood(train, heldout, s) for s in sigmas])
    return train_nll, heldout_nll
    # END SOLUTION


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    r"""Negative log-likelihood, in nats, of ``y`` under the Gaussian decoder
    :math:`p(y \mid z) = \mathcal{N}(y; \hat y, \sigma^2 I)`, summed over the last dimension:

    .. math::  -\ln p(y \mid z) = \frac{\|y - \hat y\|^2}{2\sigma^2} + d \ln \sigma + \frac d2 \ln(2\pi)
               = \sum_{j=1}^d \left[\frac{(y_j - \hat y_j)^2}{2\sigma_j^2} + \ln \sigma_j + \tfrac12 \ln(2\pi)\right]

    the second form for one :math:`\sigma_j` per dimension.

    Args:
        y, y_hat: ``(..., d)``.
        log_sigma: :math:`\ln \sigma` (not of the variance), broadcasting against ``y``: shape
            ``()`` (one sigma), ``(d,)`` (one per dimension), ``(..., 1)`` (one per row) or
            ``(..., d)``.

    Returns:
        shape ``(...)``.
    """
    # BEGIN SOLUTION (the per-dimension terms, broadcast against y, summed over the last dimension)
    terms = 0.5 * ((y - y_hat) * torch.exp(-log_sigma)) ** 2 + log_sigma + 0.5 * math.log(2 * math.pi)
    return terms.sum(dim=-1)
    # END SOLUTION


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    r"""The lower bound :math:`d \ln w` on the continuous NLL, in nats, of any density on data
    quantized to bins of width :math:`w` in each of :math:`d` dimensions and dequantized with
    uniform noise :math:`U(0, w)^d`. (Negative when ``width < 1``.)

    Returns:
        a number.
    """
    # BEGIN SOLUTION (d ln(width))
    return d * math.log(width)
    # END SOLUTION


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    r"""The discrete code length per dimension, in bits, that a continuous NLL (nats, on
    dequantized data with bins of width ``width`` in ``d`` dimensions) bounds, elementwise:

    .. math::  \text{bits per dim} = \frac{\text{NLL} - d \ln w}{d \ln 2} \ \ge 0

    Returns:
        same shape as ``nll``.
    """
    # BEGIN SOLUTION (remove the d ln(width) shift, then nats per example -> bits per dimension)
    return (nll - d * math.log(width)) / (d * math.log(2))
    # END SOLUTION


# --------------------------------------------------------------------------- running this file
def main() -> None:
    """``python differential_entropy.py`` (in a notebook, ``main()``): the examples of the statement,
    computed with your functions."""
    sigma = torch.tensor([0.1, 10.0], dtype=torch.float64)  # one height spread, in metres and centimetres
    h_m, h_cm = gaussian_entropy(sigma).tolist()
    print(f"Heights with sigma = 0.1 m: h = {h_m:.4f} nats in metres, {h_cm:.4f} nats in centimetres "
          f"(the difference is ln 100 = {math.log(100):.4f})")

    h = float(gaussian_entropy(torch.tensor(1.0, dtype=torch.float64)))
    print("Quantizing X ~ N(0, 1) into bins of width w:")
    for width in (10.0, 1.0, 0.1, 0.01, 0.001):
        print(f"  w = {width:6g}: H = {float(quantized_entropy(1.0, width)):7.4f} nats, h - ln w = {h - math.log(width):7.4f}")

    zero, one, two = (torch.tensor([v], dtype=torch.float64) for v in (0.0, 1.0, 2.0))
    print(f"KL(N(0, 1) || N(1, 4)) = {float(gaussian_kl(zero, one, one, two)):.4f}, "
          f"KL(N(1, 4) || N(0, 1)) = {float(gaussian_kl(one, two, zero, one)):.4f}; in millimetres (x 1000): "
          f"{float(gaussian_kl(zero, 1000 * one, 1000 * one, 1000 * two)):.4f}")
    rho = torch.tensor([0.0, 0.5, 0.9, 0.99, 0.9999], dtype=torch.float64)
    mi = gaussian_mutual_information(rho)
    print("I(X; Y) for correlations " + ", ".join(f"{r:g}: {i:.4f}" for r, i in zip(rho.tolist(), mi.tolist())))

    generator = torch.Generator().manual_seed(0)
    train = torch.randn(200, 1, dtype=torch.float64, generator=generator)
    heldout = torch.randn(200, 1, dtype=torch.float64, generator=generator)
    sigmas = torch.tensor([1e-3, 1e-2, 0.1, 0.3, 1.0, 3.0], dtype=torch.float64)
    train_nll, heldout_nll = train_and_heldout_nll(train, heldout, sigmas)
    print("A Gaussian KDE on 200 draws of N(0, 1): negative log-likelihood per point")
    for s, t, v in zip(sigmas.tolist(), train_nll.tolist(), heldout_nll.tolist()):
        print(f"  sigma = {s:6g}: training {t:9.3f}, held out {v:9.3f}")
    one_centre = torch.zeros(1, 1, dtype=torch.float64)  # a KDE with one centre at 0 and sigma = 1 is N(0, 1)
    print(f"  (N(0, 1) itself: held out {float(-kde_log_likelihood(one_centre, heldout, 1.0)):.3f})")

    y = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    print("A Gaussian decoder that reconstructs y = (1, 2) exactly, with a learned sigma: -ln p(y | z) =",
          ", ".join(f"{float(gaussian_decoder_nll(y, y, torch.tensor(s, dtype=torch.float64))):.2f} at sigma = e^{s:g}"
                    for s in (0.0, -5.0, -20.0)))
    d, width = 28 * 28, 1 / 256
    floor = dequantized_nll_lower_bound(d, width)
    uniform = float(bits_per_dim(torch.tensor(0.0, dtype=torch.float64), d, width))
    print(f"28 x 28 images with 8-bit pixels in [0, 1), dequantized: no NLL below {float(floor):.1f} nats; "
          f"the uniform density (NLL 0) takes {uniform:.3f} bits per dimension")


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
