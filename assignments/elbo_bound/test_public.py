"""Public tests for elbo_bound: a model small enough to do by hand (d = 2, k = 1).

W = (1, 0)^T, b = 0, sigma = 1, x = (1, 0):  C = W W^T + sigma^2 I = diag(2, 1),
log p(x) = -log 2pi - (1/2) log 2 - 1/4; the posterior is N(1/2, 1/2); for q = N(0, 1) the
ELBO is -log 2pi - 1 and the gap is 3/4 - (1/2) log 2."""
import math
from pathlib import Path

import pytest
import torch

from autograder.checks import expect_close, expect_tensor, expect_tuple, fail
from autograder.plugin import load_module
from autograder.proxy import Helper

HERE = Path(__file__).resolve().parent
judge = load_module(HERE / "elbo_judge.py", "_elbo_judge_public")
HELPER = Helper.from_file(HERE / "child_helpers.py")
WHERE = "the model d = 2, k = 1, W = (1, 0)^T, b = 0, sigma = 1, x = (1, 0)"
PRIOR_Q = (torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64))


@pytest.mark.grade("1.1", "log_marginal: log p(x) of the small model", points=1)
def test_log_marginal_small(student):
    x, W, b, sigma = judge.small_model()
    got = expect_tensor(student.log_marginal(x, W, b, sigma), what="log_marginal(x, W, b, sigma)", shape=(1,))
    expect_close(got, [judge.LOG_P_SMALL], what="log p(x)", inputs=WHERE, rtol=1e-6,
                 hint="x ~ N(b, W W^T + sigma^2 I): remember -d/2 log 2pi and log det C")


@pytest.mark.grade("1.2", "exact_posterior: mean 1/2 and covariance 1/2 on the small model", points=1)
def test_posterior_small(student):
    x, W, b, sigma = judge.small_model()
    mean, cov = expect_tuple(student.exact_posterior(x, W, b, sigma), 2, what="exact_posterior(...)")
    mean = expect_tensor(mean, what="the posterior mean", shape=(1, 1))
    cov = expect_tensor(cov, what="the posterior covariance", shape=(1, 1))
    expect_close(mean, [[0.5]], what="posterior mean", inputs=WHERE, rtol=1e-6,
                 hint="m = S W^T (x - b) / sigma^2")
    expect_close(cov, [[0.5]], what="posterior covariance", inputs=WHERE, rtol=1e-6,
                 hint="S = (I + W^T W / sigma^2)^{-1}: the inverse of the precision")


@pytest.mark.grade("1.3", "elbo: q = the prior N(0, 1) on the small model", points=1)
def test_elbo_prior_small(student):
    x, W, b, sigma = judge.small_model()
    got = expect_tensor(student.elbo(x, *PRIOR_Q, W, b, sigma), what="elbo(...)", shape=(1,))
    expect_close(got, [judge.ELBO_PRIOR_SMALL], what="ELBO", inputs=f"{WHERE}, q = N(0, 1)", rtol=1e-6,
                 hint="E_q[log p(x|z)] includes the trace term sum_j v_j ||W[:, j]||^2 / (2 sigma^2)")


@pytest.mark.grade("1.4", "elbo: equals log p(x) when q is the exact posterior", points=1)
def test_elbo_tight_small(student):
    x, W, b, sigma = judge.small_model()
    q_mu = torch.tensor([[0.5]], dtype=torch.float64)
    q_log_var = torch.tensor([[math.log(0.5)]], dtype=torch.float64)
    got = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(1,))
    expect_close(got, [judge.LOG_P_SMALL], what="ELBO at the exact posterior", inputs=f"{WHERE}, q = N(1/2, 1/2)",
                 rtol=1e-6, hint="log p(x) = ELBO + KL(q || p(z|x)), and that KL is 0 here")


@pytest.mark.grade("1.5", "elbo_gap: KL(q || p(z|x)) for q = the prior", points=1)
def test_gap_small(student):
    x, W, b, sigma = judge.small_model()
    got = expect_tensor(student.elbo_gap(x, *PRIOR_Q, W, b, sigma), what="elbo_gap(...)", shape=(1,))
    expect_close(got, [judge.GAP_PRIOR_SMALL], what="the gap", inputs=f"{WHERE}, q = N(0, 1)", rtol=1e-6,
                 hint="the gap is KL(q(z|x) || p(z|x)), with q first")


@pytest.mark.grade("1.6", "elbo_monte_carlo: unbiased, and a real Monte Carlo estimate", points=1)
def test_monte_carlo_small(student):
    x, W, b, sigma = judge.small_model()
    draws = student.run(HELPER, "repeat", "elbo_monte_carlo", [x, *PRIOR_Q, W, b, sigma, 10], 400,
                        function="elbo_monte_carlo").value
    draws = expect_tensor(draws, what="400 calls of elbo_monte_carlo(..., n_samples=10)", shape=(400, 1))
    mean, se = judge.mean_and_se(draws)
    if se < 1e-9:
        fail("Every call returned the same value: an estimate from random draws z ~ q must vary.")
    z = (mean - judge.ELBO_PRIOR_SMALL) / se
    if abs(z) > judge.Z_LIMIT:
        fail(f"Averaged over 400 calls with n_samples = 10 on {WHERE}, q = N(0, 1), the estimate is "
             f"{mean:.4f} +- {se:.4f}, but the ELBO is {judge.ELBO_PRIOR_SMALL:.4f} ({z:+.1f} standard errors).")


@pytest.mark.grade("1.7", "iwae_bound: between the ELBO and log p(x), on average", points=1)
def test_iwae_small(student):
    x, W, b, sigma = judge.small_model()
    draws = student.run(HELPER, "repeat", "iwae_bound", [x, *PRIOR_Q, W, b, sigma, 20], 400,
                        function="iwae_bound").value
    draws = expect_tensor(draws, what="400 calls of iwae_bound(..., k=20)", shape=(400, 1))
    mean, se = judge.mean_and_se(draws)
    if mean > judge.LOG_P_SMALL + judge.Z_LIMIT * se:
        fail(f"On {WHERE}, q = N(0, 1), k = 20, the IWAE estimate averages {mean:.4f} +- {se:.4f}, above "
             f"log p(x) = {judge.LOG_P_SMALL:.4f}. Did you forget the - log k (the 1/k inside the log)?")
    if mean < judge.ELBO_PRIOR_SMALL + 0.1:
        fail(f"On {WHERE}, q = N(0, 1), k = 20, the IWAE estimate averages {mean:.4f} +- {se:.4f}: no "
             f"tighter than the ELBO {judge.ELBO_PRIOR_SMALL:.4f}. It should be log of the MEAN of the "
             "weights, not the mean of the log-weights.")
