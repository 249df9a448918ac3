"""Differential entropy and its perils: Gaussian models, quantization, KDE, dequantization.

Fill in every function marked TODO. Conventions (all functions):

* Inputs and outputs are ``torch.Tensor``s unless stated; the functions that take or return
  plain numbers say so. The output has the input's dtype and device (computing in
  ``float64`` inside is fine, as long as you cast back).
* Logarithms are natural (nats); ``sigma`` is always a standard deviation, never a variance.
* Leading dimensions are batch dimensions; sums run over the last dimension.
* Never modify an input in place.

Check your work: in the unzipped student folder, run ``python -m autograder check differential_entropy``.
Hand in ``differential_entropy.py`` or ``differential_entropy.ipynb``, not both.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor


def gaussian_entropy(sigma: Tensor) -> Tensor:
    r"""Differential entropy, in nats, of :math:`\mathcal{N}(\mu, \sigma^2)`, elementwise.

    .. math::  h = \mathbb{E}\left[-\ln \tfrac{1}{\sqrt{2\pi}\,\sigma} e^{-(x-\mu)^2 / 2\sigma^2}\right]
               = \ln \sigma + \tfrac12 \ln(2 \pi e)

    It does not depend on :math:`\mu` and is negative for :math:`\sigma < 1/\sqrt{2\pi e} \approx 0.242`.

    Args:
        sigma: standard deviations (> 0), any shape.

    Returns:
        ``h``, same shape as ``sigma``.
    """
    # TODO: ln sigma + 0.5 ln(2 pi e), elementwise
    raise NotImplementedError


def quantized_entropy(sigma: float, width: float) -> float:
    r"""Entropy, in nats, of the bin index :math:`k = \lfloor X / w \rfloor` for
    :math:`X \sim \mathcal{N}(0, \sigma^2)` and bins of width :math:`w`.

    .. math::  P_k = \Phi\!\left(\tfrac{(k+1) w}{\sigma}\right) - \Phi\!\left(\tfrac{k w}{\sigma}\right),
               \qquad H = -\sum_k P_k \ln P_k,
               \qquad \Phi(t) = \tfrac12 \left(1 + \operatorname{erf}(t / \sqrt 2)\right)

    Sum over every bin that holds probability; bins beyond 12 sigma on either side may be
    dropped. As ``width -> 0`` this approaches ``gaussian_entropy(sigma) - ln(width)``, which
    grows without bound; at coarse widths it differs from that approximation.

    Args:
        sigma, width: positive numbers.

    Returns:
        ``H`` as a number (anything ``float()`` accepts).
    """
    # TODO: P_k from the normal CDF for every bin within 12 sigma, then -sum P_k ln P_k
    raise NotImplementedError


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    r"""KL divergence, in nats, of :math:`q = \mathcal{N}(\mu_q, \sigma_q^2)` from
    :math:`p = \mathcal{N}(\mu_p, \sigma_p^2)`, elementwise (1-D Gaussians; the arguments broadcast).

    .. math::  \mathrm{KL}(p \,\|\, q) = \ln \frac{\sigma_q}{\sigma_p}
               + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}{2 \sigma_q^2} - \frac12

    Never negative, zero when ``p = q`` whatever ``sigma``, and unchanged by a change of units
    (scaling every mean and every sigma by the same ``a > 0``).

    Returns:
        ``KL(p || q)``, the broadcast shape of the arguments.
    """
    # TODO: the closed form above: variances, not standard deviations, in the fraction
    raise NotImplementedError


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    r"""Mutual information, in nats, of jointly Gaussian :math:`X, Y` with unit variances and
    correlation :math:`\rho` (:math:`|\rho| < 1`), elementwise.

    .. math::  I(X; Y) = h(Y) - h(Y \mid X) = -\tfrac12 \ln(1 - \rho^2)

    Returns:
        ``I``, same shape as ``rho``.
    """
    # TODO: h(Y) - h(Y | X) with Y | X ~ N(rho X, 1 - rho^2)
    raise NotImplementedError


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    r"""Average log-likelihood, in nats, of the rows of ``x`` under the Gaussian kernel density
    estimate built on the rows of ``train``:

    .. math::  \hat p(x) = \frac1N \sum_{i=1}^N \mathcal{N}(x; t_i, \sigma^2 I_d), \qquad
               \text{result} = \frac1M \sum_{m=1}^M \ln \hat p(x_m)

    with :math:`\ln \mathcal{N}(x; t, \sigma^2 I_d) = -\frac{\|x - t\|^2}{2\sigma^2} - \frac d2 \ln(2\pi\sigma^2)`.
    Compute :math:`\ln \hat p` with a log-sum-exp (``torch.logsumexp``), never as the log of a
    sum of ``exp``: with ``sigma = 1e-3`` and ``d = 64`` every ``exp`` underflows to 0.

    Args:
        train: ``(N, d)``, the kernel centres.
        x: ``(M, d)``, the points to score.
        sigma: the bandwidth (a number or a 0-dim tensor), > 0.

    Returns:
        a 0-dim tensor.
    """
    # TODO: log-sum-exp over the training points of the log kernels, minus ln N, averaged over x
    raise NotImplementedError


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    r"""The KDE's negative log-likelihood, per bandwidth, on its own training set and on a
    held-out set:

    .. math::  \text{train}_s = -\text{kde\_log\_likelihood}(\text{train}, \text{train}, \sigma_s), \qquad
               \text{heldout}_s = -\text{kde\_log\_likelihood}(\text{train}, \text{heldout}, \sigma_s)

    Each training point is in its own sum (no leave-one-out), so the training NLL falls
    without bound as ``sigma -> 0``, while the held-out NLL has a finite minimum.

    Args:
        train: ``(N, d)``; heldout: ``(M, d)``; sigmas: ``(S,)`` bandwidths.

    Returns:
        ``(train_nll, heldout_nll)``, two ``(S,)`` tensors with ``train``'s dtype.
    """
    # TODO: one kde_log_likelihood per bandwidth, for each set, negated
    raise NotImplementedError


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    r"""Negative log-likelihood, in nats, of ``y`` under the Gaussian decoder
    :math:`p(y \mid z) = \mathcal{N}(y; \hat y, \sigma^2 I)`, summed over the last dimension:

    .. math::  -\ln p(y \mid z) = \sum_{j=1}^d \left[\frac{(y_j - \hat y_j)^2}{2 \sigma_j^2}
               + \ln \sigma_j + \tfrac12 \ln(2\pi)\right]
               = \frac{\|y - \hat y\|^2}{2\sigma^2} + d \ln \sigma + \frac d2 \ln(2\pi)
               \quad \text{(one } \sigma\text{)}

    Args:
        y, y_hat: ``(..., d)``.
        log_sigma: :math:`\ln \sigma` (not of the variance), broadcasting against ``y``: shape
            ``()`` (one sigma), ``(d,)`` (one per dimension), ``(..., 1)`` (one per row) or
            ``(..., d)``.

    Returns:
        shape ``(...)``.
    """
    # TODO: the per-dimension terms, broadcast against y, summed over the last dimension
    raise NotImplementedError


def dequantized_nll_lower_bound(d: int, width: float) -> float:
    r"""The lower bound :math:`d \ln w` on the continuous NLL, in nats, of any density on data
    quantized to bins of width :math:`w` in each of :math:`d` dimensions and dequantized with
    uniform noise :math:`U(0, w)^d`. (Negative when ``width < 1``.)

    Returns:
        a number.
    """
    # TODO: d ln(width)
    raise NotImplementedError


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    r"""The discrete code length per dimension, in bits, that a continuous NLL (nats, on
    dequantized data with bins of width ``width`` in ``d`` dimensions) bounds, elementwise:

    .. math::  \frac{\text{nll} - d \ln w}{d \ln 2}

    Returns:
        same shape as ``nll``.
    """
    # TODO: remove the d ln(width) shift, then nats per example -> bits per dimension
    raise NotImplementedError
