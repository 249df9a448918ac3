"""Judge-side statistics for checking random draws and Monte Carlo estimators.

Not a reference solution: it only measures what a submission returned, with the exact
moments of the estimators (worked out below) and z-scores. Shipped with the public tests
so students get the same verdict locally.

Every check compares a statistic with its known distribution under a correct submission
and fails beyond ``Z_LIMIT`` standard deviations: with the judge's fixed seeds a correct
submission fails with probability below one in a million, whatever order it draws its
random numbers in.
"""
from __future__ import annotations

import math

import numpy as np
import torch

Z_LIMIT = 6.0  # standard deviations (two-sided p ~ 2e-9 for a Gaussian statistic)
KS_LIMIT = 3.0  # sqrt(N) * KS distance; P(exceed) ~ 2 exp(-2 * 3^2) ~ 3e-8


# --------------------------------------------------------------------------- exact moments
def _normal_moment(k: int) -> float:
    """E[eps^k] for eps ~ N(0, 1): 0 for odd k, (k - 1)!! for even k."""
    if k % 2:
        return 0.0
    return float(np.prod(np.arange(k - 1, 0, -2))) if k else 1.0


def _poly_expectation(coeffs: np.ndarray) -> float:
    """E[sum_k c_k eps^k]."""
    return float(sum(c * _normal_moment(k) for k, c in enumerate(coeffs)))


def single_draw_moments(kind: str, theta: float) -> tuple[float, float]:
    """Variance V and fourth central moment mu4 of ONE draw's term of the estimator.

    pathwise:       y = 2 (theta + eps)                           -> V = 4
    score function: y = (theta + eps)^2 * eps   (x = theta + eps) -> V = theta^4 + 14 theta^2 + 15
    Both have mean 2 theta; the centred term is a polynomial in eps, and its moments follow
    from E[eps^k] = (k - 1)!! for even k.
    """
    if kind == "pathwise":
        centred = np.array([0.0, 2.0])
    elif kind == "score":
        centred = np.array([-2.0 * theta, theta**2, 2.0 * theta, 1.0])
    else:
        raise ValueError(kind)
    P = np.polynomial.polynomial
    return _poly_expectation(P.polypow(centred, 2)), _poly_expectation(P.polypow(centred, 4))


def variance_formula(kind: str, theta: float, n: int) -> float:
    """Variance of the n-draw average: 4/n (pathwise) or (theta^4 + 14 theta^2 + 15)/n (score)."""
    return single_draw_moments(kind, theta)[0] / n


def standardized_fourth_moment(kind: str, theta: float, n: int) -> float:
    """E[r^4] for r = (estimate - 2 theta) / sqrt(V / n), the average of n i.i.d. terms:
    E[r^4] = mu4 / (n V^2) + 3 (n - 1) / n (3 for a Gaussian)."""
    V, mu4 = single_draw_moments(kind, theta)
    return mu4 / (n * V**2) + 3.0 * (n - 1) / n


# --------------------------------------------------------------------------- estimator checks
def estimator_report(estimates: torch.Tensor, thetas: list[float], n: int, kind: str) -> dict:
    """z-scores of the estimates of d/dtheta E[x^2] = 2 theta.

    ``estimates`` is 1-D: ``len(thetas)`` consecutive groups of ``m`` entries, the entries of a
    group sharing the same theta, each with its own n draws. Returns

    * ``mean_z``: per group, (average estimate - 2 theta) / its standard error sqrt(V / (n m));
    * ``ratio`` and ``var_z``: the sample variance of the estimates within the groups, divided by
      the formula V / n and pooled over the groups (1 when right), and its z-score, from the
      known variance of a sample variance: Var(s^2 / sigma^2) ~ (E r^4 - (m - 3) / (m - 1)) / m;
    * ``group_ratio``: the same ratio for every group.
    """
    g = estimates.detach().double().reshape(len(thetas), -1)
    m = g.shape[1]
    mean_z, ratios, ratio_vars = [], [], []
    for row, theta in zip(g, thetas):
        var = variance_formula(kind, theta, n)
        mean_z.append(float((row.mean() - 2.0 * theta) / math.sqrt(var / m)))
        ratios.append(float(row.var(unbiased=True)) / var)
        r4 = standardized_fourth_moment(kind, theta, n)
        ratio_vars.append((r4 - (m - 3) / (m - 1)) / m)
    ratio = sum(ratios) / len(ratios)
    ratio_sd = math.sqrt(sum(ratio_vars)) / len(ratios)
    return {"mean_z": mean_z, "ratio": ratio, "var_z": (ratio - 1.0) / ratio_sd, "group_ratio": ratios}


def scale_factor(estimates: torch.Tensor, thetas: list[float], n: int, kind: str) -> float | None:
    """``c`` when the estimates look like ``c`` times those of a correct estimator (``c`` not 1):
    every group averages ``c * 2 theta`` and the variance is ``c^2`` times the formula, both within
    ``Z_LIMIT`` standard errors. None when no single factor explains the averages and the spread
    (noise shared between entries, say, shrinks the spread without scaling the average)."""
    g = estimates.detach().double().reshape(len(thetas), -1)
    m = g.shape[1]
    target = torch.tensor([2.0 * t for t in thetas], dtype=torch.float64)
    if float((target**2).sum()) == 0.0:
        return None
    c = float((g.mean(dim=1) * target).sum() / (target**2).sum())
    if abs(c) < 0.05 or abs(c - 1.0) < 1e-3:
        return None
    for row, theta in zip(g, thetas):
        se = abs(c) * math.sqrt(variance_formula(kind, theta, n) / m)
        if abs(float(row.mean()) - c * 2.0 * theta) > Z_LIMIT * se:
            return None
    report = estimator_report(g.flatten() / c, thetas, n, kind)
    return c if abs(report["var_z"]) <= Z_LIMIT else None


def factor_note(c: float, n: int, kind: str) -> str:
    """What estimates that are ``c`` times right ones (see :func:`scale_factor`) tell the student."""
    both = f"their average and their spread both match {c:.3g} times a correct estimate"
    if abs(c - 0.5) < 0.03:
        if kind == "pathwise":
            return (f"Your estimates are half the right ones ({both}): d(x^2)/dtheta = 2x, so each draw "
                    "adds 2 (theta + eps_i), not theta + eps_i. The factor 2 is missing.")
        return f"Your estimates are half the right ones ({both}): a factor 2 is missing."
    if abs(c - 2.0) < 0.06:
        return f"Your estimates are twice the right ones ({both}): a factor 2 too many."
    if abs(c - n) < 0.03 * n:
        return (f"Your estimates are n = {n} times the right ones ({both}): you summed the n per-draw "
                "terms instead of averaging them.")
    if abs(c + 1.0) < 0.03:
        return f"Your estimates are the right ones with the sign flipped ({both})."
    return f"Your estimates look like {c:.3g} times the right ones ({both}): a constant factor is wrong."


# --------------------------------------------------------------------------- normal draws
def normal_cdf(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


def ks_statistic(u: torch.Tensor) -> float:
    """sqrt(N) * sup_x |F_N(x) - Phi(x)|, the Kolmogorov-Smirnov distance of the draws u from
    N(0, 1), scaled so that its limit law does not depend on N."""
    x, _ = torch.sort(u.detach().double().flatten())
    n = x.numel()
    cdf = normal_cdf(x)
    i = torch.arange(1, n + 1, dtype=torch.float64)
    d = torch.maximum(i / n - cdf, cdf - (i - 1) / n).max()
    return float(d) * math.sqrt(n)


def chi2_z(statistic: float, dof: int) -> float:
    """z-score of a chi-square statistic with ``dof`` degrees of freedom (Wilson-Hilferty:
    (S / k)^(1/3) is close to N(1 - 2 / (9k), 2 / (9k)), accurate far into the tails)."""
    k = float(dof)
    return ((statistic / k) ** (1.0 / 3.0) - (1.0 - 2.0 / (9.0 * k))) / math.sqrt(2.0 / (9.0 * k))


def normal_draws_report(u: torch.Tensor) -> dict:
    """Statistics of standardized draws u = (z - mu) / sigma, of shape (B, D), that should be
    i.i.d. N(0, 1):

    * ``mean_z``: sqrt(N) * mean(u);  ``var_z``: (mean(u^2) - 1) / sqrt(2 / N);
    * ``ks``: the scaled Kolmogorov-Smirnov distance of (u - mean) / std from N(0, 1): the shape
      of the law, whatever its mean and scale;
    * ``rows_z`` / ``cols_z``: independence along each dimension. With w = u - mean(u), the
      self-normalized sum (sum_i w_i)^2 / sum_i w_i^2 over a column of independent, symmetric
      draws is close to chi-square with 1 degree of freedom (whatever their scales), so its sum
      over the D columns is close to chi-square with D degrees of freedom. Noise shared along the
      column makes each term as large as the column length B.
    * ``spread``: std(u) / rms(u), near 1 for centred draws and 0 when every entry got the same
      eps (centring then leaves nothing to test).
    """
    u = u.detach().double()
    B, D = u.shape
    N = u.numel()
    w = u - u.mean()
    sq = w**2
    cols = (w.sum(dim=0) ** 2 / sq.sum(dim=0).clamp_min(1e-300)).sum()
    rows = (w.sum(dim=1) ** 2 / sq.sum(dim=1).clamp_min(1e-300)).sum()
    return {
        "mean_z": float(u.mean()) * math.sqrt(N),
        "var_z": (float((u**2).mean()) - 1.0) / math.sqrt(2.0 / N),
        "std": float(u.std()),
        "ks": ks_statistic(w / w.std()),
        "rows_z": chi2_z(float(rows), B),
        "cols_z": chi2_z(float(cols), D),
        "spread": float(w.std()) / max(math.sqrt(float((u**2).mean())), 1e-300),
    }


def independent(report: dict) -> bool:
    """No sign of noise shared between entries (``spread`` below 1% means one eps for all)."""
    return report["spread"] > 0.01 and max(abs(report["rows_z"]), abs(report["cols_z"])) <= Z_LIMIT
