"""Unit tests of the rate_distortion grader's own pieces (fast: nothing is trained here).

The grading of whole submissions is covered by tests/test_samples.py."""
from __future__ import annotations

import math
import re
import sys
import warnings

import pytest
import torch

from conftest import ROOT

from autograder.checks import GradingFailure
from autograder.plugin import load_module

FOLDER = ROOT / "assignments" / "rate_distortion"
judge = load_module(FOLDER / "rd_judge.py", "_rd_judge_unit")
with warnings.catch_warnings():  # its @pytest.mark.grade is registered by the grading plugin only
    warnings.simplefilter("ignore")
    public = load_module(FOLDER / "test_public.py", "_rd_public_unit")
reference = load_module(ROOT / "solutions" / "rate_distortion.py", "_rd_reference_unit")
CONFIG = judge.sweep_config()

# A sweep like the reference's (30 epochs, seed 0)
GOOD = [(0.25, 11.27, 11.70), (0.5, 7.10, 13.71), (1.0, 3.74, 17.04), (2.0, 1.20, 21.67), (4.0, 0.035, 25.21)]
BETAS = [p[0] for p in GOOD]


def test_public_literals_match_the_reference():
    """The hand-worked literals of the public tests agree with the reference solution."""
    assert math.isclose(float(reference.rate(public.MU.double(), public.LOG_VAR.double())), public.RATE, rel_tol=1e-7)  # ln 2 in float32
    x, x_hat = public.X.double(), public.X_HAT.double()
    assert math.isclose(float(reference.distortion(x, x_hat, "l2")), public.L2, rel_tol=1e-12)
    assert math.isclose(float(reference.distortion(x, x_hat, "l1")), public.L1, rel_tol=1e-12)
    got = float(reference.distortion(public.X_BIN.double(), public.LOGITS.double()))
    assert math.isclose(got, public.BERNOULLI, rel_tol=1e-12)


def test_config_is_consistent():
    assert 1.0 in CONFIG["betas"] and CONFIG["betas"] == sorted(CONFIG["betas"])
    lo, hi = CONFIG["neg_elbo_band"]
    assert lo < CONFIG["neg_elbo_reference"] < hi < 25.1  # the band excludes the collapsed model


def test_read_points_accepts_numbers_of_any_kind():
    import numpy as np

    value = [[torch.tensor(b), np.float32(r), d] for b, r, d in GOOD]
    points = judge.read_points(value, BETAS)
    assert [p[0] for p in points] == BETAS
    assert all(isinstance(v, float) for p in points for v in p)


@pytest.mark.parametrize("value,message", [
    (GOOD[::-1], "in another order"),
    (GOOD[:3], "returned 3 items"),
    ({"a": 1}, "should return a list"),
    ([(b, r) for b, r, _ in GOOD], "tuple (beta, R, D) of three numbers"),
    ([(b, float("nan"), d) for b, _, d in GOOD], "must be finite"),
])
def test_read_points_rejects_malformed_sweeps(value, message):
    with pytest.raises(GradingFailure, match=re.escape(message)):
        judge.read_points(value, BETAS)


def test_trends_of_a_good_sweep_pass():
    assert judge.trend_problem(GOOD, "R", CONFIG) is None
    assert judge.trend_problem(GOOD, "D", CONFIG) is None
    assert judge.neg_elbo_problem(GOOD, CONFIG) is None
    assert judge.physics_problem(GOOD) is None


def test_small_noise_is_allowed():
    noisy = [(0.25, 11.0, 11.7), (0.5, 11.3, 11.5), (1.0, 3.7, 17.0), (2.0, 0.02, 25.3), (4.0, 0.05, 25.1)]
    assert judge.trend_problem(noisy, "R", CONFIG) is None
    assert judge.trend_problem(noisy, "D", CONFIG) is None


def test_backwards_and_flat_sweeps_fail():
    swapped = [(b, d, r) for b, r, d in GOOD]
    for which in ("R", "D"):
        assert "(beta, D, R)" in judge.trend_problem(swapped, which, CONFIG)
    collapsed = [(b, 0.02, 25.2) for b in BETAS]
    assert "no trade-off" in judge.trend_problem(collapsed, "R", CONFIG)
    assert "no trade-off" in judge.trend_problem(collapsed, "D", CONFIG)
    bump = [(0.25, 11.0, 11.7), (0.5, 7.0, 13.7), (1.0, 9.0, 17.0), (2.0, 1.2, 21.7), (4.0, 0.03, 25.2)]
    assert "from beta = 0.5 to beta = 1" in judge.trend_problem(bump, "R", CONFIG)


def test_unphysical_points_fail_every_sweep_check():
    negative = [(b, r - 5, d) for b, r, d in GOOD]
    assert "never negative" in judge.physics_problem(negative)
    assert "never negative" in judge.trend_problem(negative, "D", CONFIG)
    assert "never negative" in judge.neg_elbo_problem(negative, CONFIG)


def test_neg_elbo_band():
    def at_one(total):
        return [(1.0, 4.0, total - 4.0)]

    assert judge.neg_elbo_problem(at_one(20.5), CONFIG) is None
    assert "too large" in judge.neg_elbo_problem(at_one(25.9), CONFIG)  # a collapsed model
    assert "too small" in judge.neg_elbo_problem(at_one(13.0), CONFIG)


def test_report_is_a_table():
    text = judge.report(GOOD, 7.44)
    assert "<img" not in text and "D + R" in text and "11.270" in text


def test_plot_is_none_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    assert judge.plot_png(GOOD, 7.44) is None


def test_plot_is_a_png(monkeypatch):
    pytest.importorskip("matplotlib")
    assert judge.plot_png(GOOD, 7.44).startswith(b"\x89PNG")


def test_empirical_entropy_of_the_digits():
    from autograder.data import load_digits_binary

    images, _ = load_digits_binary()
    assert 7.3 < judge.empirical_entropy(images) < math.log(len(images))
