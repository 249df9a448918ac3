"""Unit tests for the judge-side statistics of the reparameterization assignment: exact
moments of the two estimators, and calibration of the z-scores on correct draws."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from autograder.contract import load_judge_helpers

ROOT = Path(__file__).resolve().parents[1]
stats = load_judge_helpers(ROOT / "assignments" / "reparameterization")


@pytest.mark.parametrize("theta", [-3.0, -1.0, 0.0, 0.5, 2.0])
def test_variance_formulas(theta):
    assert stats.variance_formula("pathwise", theta, 1) == pytest.approx(4.0)
    assert stats.variance_formula("score", theta, 1) == pytest.approx(theta**4 + 14 * theta**2 + 15)
    assert stats.variance_formula("score", theta, 8) == pytest.approx((theta**4 + 14 * theta**2 + 15) / 8)
    # a Gaussian average has E[r^4] = 3
    assert stats.standardized_fourth_moment("pathwise", theta, 5) == pytest.approx(3.0)


def test_score_moments_by_quadrature():
    # E[y^2] and E[y^4] for y = (theta + e)^2 e - 2 theta, e ~ N(0, 1), on a fine grid
    e = torch.linspace(-14, 14, 200001, dtype=torch.float64)
    w = torch.exp(-0.5 * e**2) / math.sqrt(2 * math.pi) * (e[1] - e[0])
    for theta in (0.0, 1.3, -2.0):
        y = (theta + e) ** 2 * e - 2 * theta
        V, mu4 = stats.single_draw_moments("score", theta)
        assert float((w * y**2).sum()) == pytest.approx(V, rel=1e-6)
        assert float((w * y**4).sum()) == pytest.approx(mu4, rel=1e-6)


def test_estimator_report_calibrated():
    thetas = [-1.0, 0.0, 2.0]
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)
        theta = torch.tensor(thetas).repeat_interleave(3000)
        x = theta + torch.randn(6, theta.numel(), generator=g)
        for kind, est in (("pathwise", (2 * x).mean(0)), ("score", (x**2 * (x - theta)).mean(0))):
            report = stats.estimator_report(est, thetas, 6, kind)
            assert max(abs(z) for z in report["mean_z"]) < 4.5
            assert abs(report["var_z"]) < 4.5
        # the exact gradient has no variance: caught
        assert stats.estimator_report(2 * theta, thetas, 6, "pathwise")["var_z"] < -stats.Z_LIMIT


def test_normal_draws_report():
    g = torch.Generator().manual_seed(0)
    good = stats.normal_draws_report(torch.randn(200, 500, generator=g))
    assert abs(good["mean_z"]) < 4.5 and abs(good["var_z"]) < 4.5 and good["ks"] < 2.0
    assert stats.independent(good)
    shared = stats.normal_draws_report(torch.randn(1, 500, generator=g).expand(200, 500))
    assert not stats.independent(shared)
    uniform = stats.normal_draws_report((torch.rand(200, 500, generator=g) - 0.5) * math.sqrt(12))
    assert uniform["ks"] > stats.KS_LIMIT and stats.independent(uniform)
    scalar = stats.normal_draws_report(torch.full((200, 500), 0.7) + 1e-8 * torch.randn(200, 500, generator=g))
    assert not stats.independent(scalar)
    offset = stats.normal_draws_report(torch.rand(200, 500, generator=g))
    assert stats.independent(offset)


def test_chi2_z():
    assert stats.chi2_z(100.0, 100) == pytest.approx(2 / (9 * 100) / math.sqrt(2 / 900), abs=0.05)
    assert stats.chi2_z(200.0 * 100, 100) > 50
