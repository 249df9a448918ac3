"""Checks on the elbo_bound grader itself: the public literals are right, and the cases the
hidden tests rely on keep their teeth (the underflow cases really underflow a naive exp)."""
from __future__ import annotations

import math
import warnings

import pytest
import torch

from autograder.plugin import load_module
from conftest import ROOT

HERE = ROOT / "assignments" / "elbo_bound"


@pytest.fixture(scope="module")
def judge():
    return load_module(HERE / "elbo_judge.py", "_elbo_judge_unit")


@pytest.fixture(scope="module")
def hidden():
    with warnings.catch_warnings():  # the grade mark is registered by the grading plugin, not here
        warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
        return load_module(HERE / "test_hidden.py", "_elbo_hidden_unit")


@pytest.fixture(scope="module")
def ref():
    return load_module(ROOT / "solutions" / "elbo_bound.py", "_elbo_reference_unit")


def test_public_literals_match_the_reference(judge, ref):
    x, W, b, sigma = judge.small_model()
    prior = torch.zeros(1, 1, dtype=torch.float64)
    assert float(ref.log_marginal(x, W, b, sigma)) == pytest.approx(judge.LOG_P_SMALL, abs=1e-12)
    mean, cov = ref.exact_posterior(x, W, b, sigma)
    assert float(mean) == pytest.approx(judge.POSTERIOR_MEAN_SMALL, abs=1e-12)
    assert float(cov) == pytest.approx(judge.POSTERIOR_VAR_SMALL, abs=1e-12)
    assert float(ref.elbo(x, prior, prior, W, b, sigma)) == pytest.approx(judge.ELBO_PRIOR_SMALL, abs=1e-12)
    assert float(ref.elbo_gap(x, prior, prior, W, b, sigma)) == pytest.approx(judge.GAP_PRIOR_SMALL, abs=1e-12)
    tight = ref.elbo(x, mean, torch.log(cov), W, b, sigma)
    assert float(tight) == pytest.approx(judge.LOG_P_SMALL, abs=1e-12)


@pytest.mark.parametrize("dtype, seed, sigma, shift, limit", [
    (torch.float32, 25, 0.3, 3.0, math.log(torch.finfo(torch.float32).tiny) - 20),   # below the subnormals too
    (torch.float64, 26, 0.1, 1.5, -745.2),  # exp(-745.2) == 0 in float64
])
def test_underflow_cases_underflow_a_naive_exp(hidden, ref, dtype, seed, sigma, shift, limit):
    x, q_mu, q_log_var, W, b, sigma = hidden.far_case(10, sigma, shift, seed, torch.float64)
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(20000, 1, 2, generator=gen, dtype=torch.float64)  # many draws from q = the prior
    log_w = ref.log_weights(x, z, q_mu, q_log_var, W, b, sigma)
    assert float(log_w.max()) < limit
    assert float(torch.exp(log_w.max().to(dtype))) == 0.0


def test_iwae_case_separates_the_bounds(hidden, ref):
    x, q_mu, q_log_var, W, b, sigma = hidden.iwae_case()
    gap = float(ref.log_marginal(x, W, b, sigma) - ref.elbo(x, q_mu, q_log_var, W, b, sigma))
    assert gap > 10  # q = the prior is a poor posterior here: IWAE has room to improve on the ELBO
