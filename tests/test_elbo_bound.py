"""Checks on the elbo_bound grader itself: the public literals are right, and the cases the
hidden tests rely on keep their teeth (the underflow cases really underflow a naive exp)."""
from __future__ import annotations

import math
import warnings

import pytest
import torch

from autograder.contract import load_judge_helpers
from autograder.plugin import load_module
from conftest import ROOT

HERE = ROOT / "assignments" / "elbo_bound"


@pytest.fixture(scope="module")
def judge():
    return load_judge_helpers(HERE)


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


def test_near_posterior_literals_and_their_parts(judge, ref):
    """q = N(1, 1/4) of public test 1.6: its ELBO, and the expectations of the parts of
    log p(x, z) - log q(z|x), by the reference and by a large Monte Carlo sum."""
    x, W, b, sigma = judge.small_model()
    mean, var = judge.Q_NEAR_SMALL
    q_mu = torch.full((1, 1), mean, dtype=torch.float64)
    q_log_var = torch.full((1, 1), math.log(var), dtype=torch.float64)
    assert float(ref.elbo(x, q_mu, q_log_var, W, b, sigma)) == pytest.approx(judge.ELBO_NEAR_SMALL, abs=1e-12)
    assert judge.EXPECTED_LOG_LIK_NEAR_SMALL - judge.KL_NEAR_SMALL == pytest.approx(judge.ELBO_NEAR_SMALL, abs=1e-12)
    z = mean + math.sqrt(var) * torch.randn(400000, 1, 1, generator=torch.Generator().manual_seed(0),
                                            dtype=torch.float64)
    log_lik = -math.log(2 * math.pi * sigma**2) - ((x - (z @ W.T + b)) ** 2).sum(-1) / (2 * sigma**2)
    log_prior = -0.5 * math.log(2 * math.pi) - 0.5 * (z**2).sum(-1)
    log_q = -0.5 * math.log(2 * math.pi * var) - 0.5 * ((z - mean) ** 2).sum(-1) / var
    for values, want in ((log_lik, judge.EXPECTED_LOG_LIK_NEAR_SMALL), (log_prior, judge.LOG_PRIOR_NEAR_SMALL),
                         (log_q, judge.LOG_Q_NEAR_SMALL), (log_prior - log_q, -judge.KL_NEAR_SMALL)):
        assert float(values.mean()) == pytest.approx(want, abs=5 * float(values.std()) / math.sqrt(values.numel()))
    # The KL is many times the standard error of 400 estimates with n_samples = 10 (the public test):
    estimates = (log_lik + log_prior - log_q).reshape(40000, 10).mean(1)
    assert judge.KL_NEAR_SMALL > 50 * float(estimates.std()) / math.sqrt(400)
    # At q = the prior, E_q[log p(z)] = E_q[log q(z|x)]:
    zp = torch.randn(400000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    assert float((-0.5 * math.log(2 * math.pi) - 0.5 * zp**2).mean()) == pytest.approx(
        judge.LOG_PRIOR_PRIOR_SMALL, abs=0.01)


def test_monte_carlo_cases_separate_the_elbo_from_the_likelihood_term(hidden, judge, ref):
    """Hidden 2.12's near-posterior cases: KL(q || p(z)) is at least 20 standard errors of the mean
    of 200 reference estimates with n_samples = 20, so an estimate without the KL fails the z-test."""
    import inspect

    source = inspect.getsource(hidden.test_monte_carlo_unbiased)
    assert "seed=27" in source and "seed=20" in source  # the cases measured below
    x, W, b, sigma = judge.random_model(5, 3, 0.8, seed=20, batch=3)
    mean, cov = ref.exact_posterior(x, W, b, sigma)
    shift_mu, shift_lv = judge.random_q(3, 3, seed=27, spread=0.5)
    q_mu = mean + shift_mu * torch.diagonal(cov).sqrt()
    q_log_var = torch.log(torch.diagonal(cov)) + shift_lv
    kl = 0.5 * (q_log_var.exp() + q_mu**2 - 1 - q_log_var).sum(-1)
    torch.manual_seed(0)
    draws = torch.stack([ref.elbo_monte_carlo(x, q_mu, q_log_var, W, b, sigma, 20) for _ in range(200)])
    se = draws.std(0) / math.sqrt(200)
    assert (kl > 20 * se).all(), (kl, se)


@pytest.mark.parametrize("dtype, seed, sigma, shift, limit", [
    (torch.float32, 25, 0.3, 3.0, math.log(torch.finfo(torch.float32).tiny) - 20),   # below the subnormals too
    (torch.float64, 26, 0.1, 1.5, -745.2),  # exp(-745.2) == 0 in float64
])
def test_underflow_cases_underflow_a_naive_exp(hidden, judge, ref, dtype, seed, sigma, shift, limit):
    x, q_mu, q_log_var, W, b, sigma = hidden.far_case(judge, 10, sigma, shift, seed, torch.float64)
    gen = torch.Generator().manual_seed(0)
    z = torch.randn(20000, 1, 2, generator=gen, dtype=torch.float64)  # many draws from q = the prior
    log_w = ref.log_weights(x, z, q_mu, q_log_var, W, b, sigma)
    assert float(log_w.max()) < limit
    assert float(torch.exp(log_w.max().to(dtype))) == 0.0


def test_iwae_case_separates_the_bounds(hidden, judge, ref):
    x, q_mu, q_log_var, W, b, sigma = hidden.iwae_case(judge)
    gap = float(ref.log_marginal(x, W, b, sigma) - ref.elbo(x, q_mu, q_log_var, W, b, sigma))
    assert gap > 10  # q = the prior is a poor posterior here: IWAE has room to improve on the ELBO
