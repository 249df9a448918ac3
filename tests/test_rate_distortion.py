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
from autograder.contract import load_config, load_judge_helpers
from autograder.plugin import load_module

FOLDER = ROOT / "assignments" / "rate_distortion"
judge = load_judge_helpers(FOLDER)
with warnings.catch_warnings():  # its @pytest.mark.grade is registered by the grading plugin only
    warnings.simplefilter("ignore")
    public = load_module(FOLDER / "test_public.py", "_rd_public_unit")
reference = load_module(ROOT / "solutions" / "rate_distortion.py", "_rd_reference_unit")
CONFIG = load_config(FOLDER)["sweep"]

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
    betas, public = CONFIG["betas"], CONFIG["public_betas"]
    assert 1.0 in betas and betas == sorted(betas) and set(public) <= set(betas) and len(public) >= 3
    # the trade-off demanded is well above the noise allowed
    assert min(CONFIG["min_span_rate"], CONFIG["min_span_distortion"]) > CONFIG["slack_nats"] > 0
    assert 0 < CONFIG["collapsed_slack"] <= CONFIG["optimality_slack"] and CONFIG["collapsed_rate"] > 0
    assert "neg_elbo_reference" not in CONFIG  # nothing is calibrated on the reference's numbers


def test_data_bounds_of_the_digits():
    from autograder.data import load_digits_binary

    bounds = judge.data_bounds(load_digits_binary()[0])
    assert 7.3 < bounds["entropy"] < 7.5 and 25.0 < bounds["collapsed"] < 25.2
    # a constant pixel costs nothing; a fair coin costs ln 2
    assert math.isclose(judge.independent_pixel_entropy([[0, 1, 1], [0, 0, 1]]), math.log(2))


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


BOUNDS = {"entropy": 7.44, "collapsed": 25.11}

# Correct sweeps measured with instructor/calibrate.py (30 epochs): flatter than the reference's,
# and the reference-calibrated thresholds of the old judge failed them.
SGD_MOMENTUM = [(0.25, 4.54, 20.81), (0.5, 2.86, 21.22), (1.0, 0.16, 24.96), (2.0, 0.06, 25.12), (4.0, 0.01, 25.33)]
LEAKY_TWO_LAYERS = [(0.25, 8.06, 15.34), (0.5, 4.65, 17.18), (1.0, 1.73, 21.53), (2.0, 0.05, 25.07),
                    (4.0, 0.01, 25.17)]
# beta = 4 stuck in posterior collapse although the beta = 2 point would do better on D + 4 R
COLLAPSED_AT_FOUR = [(0.25, 12.25, 8.16), (0.5, 8.98, 8.91), (1.0, 5.27, 11.16), (2.0, 2.09, 15.74),
                     (4.0, 0.09, 25.31)]


def problems(points):
    return {"R": judge.trend_problem(points, "R", CONFIG, BOUNDS), "D": judge.trend_problem(points, "D", CONFIG, BOUNDS),
            "own loss": judge.optimality_problem(points, BOUNDS, CONFIG),
            "physics": judge.physics_problem(points, BOUNDS["entropy"], CONFIG["noise_nats"])}


@pytest.mark.parametrize("points", [GOOD, SGD_MOMENTUM, LEAKY_TWO_LAYERS, COLLAPSED_AT_FOUR],
                         ids=["reference", "sgd-momentum", "leaky-two-layers", "collapsed-at-4"])
def test_correct_sweeps_pass(points):
    assert problems(points) == {"R": None, "D": None, "own loss": None, "physics": None}
    public = [p for p in points if p[0] in CONFIG["public_betas"]]
    assert problems(public) == {"R": None, "D": None, "own loss": None, "physics": None}


def test_small_noise_is_allowed():
    noisy = [(0.25, 11.0, 11.7), (0.5, 11.3, 11.5), (1.0, 3.7, 17.0), (2.0, 0.02, 25.3), (4.0, 0.05, 25.1)]
    assert judge.trend_problem(noisy, "R", CONFIG, BOUNDS) is None
    assert judge.trend_problem(noisy, "D", CONFIG, BOUNDS) is None


def test_backwards_and_flat_sweeps_fail():
    swapped = [(b, d, r) for b, r, d in GOOD]
    for which in ("R", "D"):
        assert "(beta, D, R)" in judge.trend_problem(swapped, which, CONFIG, BOUNDS)
    collapsed = [(b, 0.02, 25.2) for b in BETAS]
    assert "no trade-off" in judge.trend_problem(collapsed, "R", CONFIG, BOUNDS)
    assert "no trade-off" in judge.trend_problem(collapsed, "D", CONFIG, BOUNDS)
    bump = [(0.25, 11.0, 11.7), (0.5, 7.0, 13.7), (1.0, 10.0, 17.0), (2.0, 1.2, 21.7), (4.0, 0.03, 25.2)]
    assert "from beta = 0.5 to beta = 1" in judge.trend_problem(bump, "R", CONFIG, BOUNDS)


def test_beta_ignored_fails():
    """Every model trained on D + R: the points differ by training noise only."""
    same = [(0.25, 3.8, 16.9), (0.5, 3.6, 17.1), (1.0, 3.75, 17.0), (2.0, 3.9, 16.8), (4.0, 3.7, 17.05)]
    assert "no trade-off" in problems(same)["R"] and "no trade-off" in problems(same)["D"]
    assert "ignores z" in problems(same)["own loss"]  # beta = 4: 17.05 + 4 * 3.7 > 25.11


def test_weighted_rate_reported_fails():
    """beta * R reported as R: the small-beta points look cheaper than they are."""
    weighted = [(b, b * r, d) for b, r, d in GOOD]
    assert "lowest D + 1 * R" in problems(weighted)["own loss"]
    public = [p for p in weighted if p[0] in CONFIG["public_betas"]]
    assert problems(public)["own loss"]


def test_detached_rate_is_not_called_backwards():
    """Rate term without gradients: R is large and random, not a reversed trade-off."""
    detached = [(0.25, 124.3, 9.88), (0.5, 156.8, 9.66), (1.0, 137.4, 10.08), (2.0, 129.0, 10.18), (4.0, 138.3, 9.77)]
    assert "from beta = 0.25 to beta = 0.5" in problems(detached)["R"]
    assert "no trade-off" in problems(detached)["D"]
    assert "ignores z" in problems(detached)["own loss"]


def test_undertrained_and_batch_summed_sweeps_fail():
    one_batch_per_epoch = [(0.25, 8.25, 27.83), (0.5, 3.8, 28.16), (1.0, 1.38, 30.36), (2.0, 0.35, 31.5),
                           (4.0, 0.08, 32.15)]
    assert "ignores z" in problems(one_batch_per_epoch)["own loss"]
    rate_sum_over_batch = [(0.25, 1.23, 25.34), (0.5, 0.65, 25.34), (1.0, 0.55, 25.35), (2.0, 0.45, 25.32),
                           (4.0, 0.8, 25.36)]
    assert all(problems(rate_sum_over_batch)[k] for k in ("R", "D", "own loss"))


def test_distortion_below_the_entropy_fails_every_sweep_check():
    pixel_mean = [(b, 0.001, 0.396) for b in BETAS]
    for key, problem in problems(pixel_mean).items():
        assert "below the entropy" in problem, key


def test_unphysical_points_fail_every_sweep_check():
    negative = [(b, r - 5, d) for b, r, d in GOOD]
    assert "never negative" in judge.physics_problem(negative)
    assert "never negative" in judge.trend_problem(negative, "D", CONFIG, BOUNDS)
    assert "never negative" in judge.optimality_problem(negative, BOUNDS, CONFIG)


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


def test_authoring_scripts_stay_out_of_the_student_bundle(tmp_path):
    """Scripts that train the reference are instructors' tools: they live in instructor/, which
    ships nowhere (student bundle, Gradescope zip)."""
    import zipfile

    from autograder.authoring.build import build_gradescope_zip
    from autograder.authoring.layout import never_shipped, student_files
    from autograder.course import load_assignment

    scripts = [p for p in FOLDER.rglob("*.py") if "solutions" in p.read_text()]
    assert scripts and all(never_shipped(p, FOLDER) for p in scripts), scripts
    assert not set(scripts) & set(student_files(FOLDER))
    with zipfile.ZipFile(build_gradescope_zip(load_assignment(ROOT, "rate_distortion"), tmp_path)) as zf:
        names = zf.namelist()
    assert "assignments/rate_distortion/judge_helpers.py" in names
    assert not [n for n in names if "/instructor/" in n], names
