"""Hidden tests for elbo_bound: random models against the reference in float64, and the
properties that make the lesson (the bound, its tightness, the gap, IWAE's ordering)."""
import math
from pathlib import Path

import pytest
import torch

from autograder.checks import expect_close, expect_tensor, expect_tuple, fail
from autograder.plugin import load_module
from autograder.proxy import Helper

HERE = Path(__file__).resolve().parent
judge = load_module(HERE / "elbo_judge.py", "_elbo_judge_hidden")
HELPER = Helper.from_file(HERE / "child_helpers.py")


def atol_for(*values, dtype):
    """Absolute tolerance scaled to the magnitudes that cancel."""
    scale = max(float(torch.as_tensor(v).abs().max()) for v in values)
    return (3e-5 if dtype == torch.float32 else 1e-9) * (1 + scale)


# ----------------------------------------------------------------------------- exact quantities
@pytest.mark.grade("2.1", "log_marginal: random models (float64)", points=2)
def test_log_marginal_float64(student, reference):
    x, W, b, sigma = judge.random_model(6, 3, 0.5, seed=1, batch=5)
    got = expect_tensor(student.log_marginal(x, W, b, sigma), what="log_marginal(...)", shape=(5,),
                        dtype=torch.float64)
    expected = torch.distributions.MultivariateNormal(b, W @ W.T + sigma**2 * torch.eye(6, dtype=torch.float64))
    expect_close(got, expected.log_prob(x), what="log p(x)", rtol=1e-8, atol=1e-8,
                 hint="x ~ N(b, W W^T + sigma^2 I): sigma^2 (not sigma) on the diagonal, and -d/2 log 2pi")


@pytest.mark.grade("2.2", "log_marginal: float32 in, float32 out", points=1)
def test_log_marginal_float32(student, reference):
    x, W, b, sigma = judge.random_model(8, 2, 0.6, seed=2, batch=4, dtype=torch.float32)
    got = expect_tensor(student.log_marginal(x, W, b, sigma), what="log_marginal(...)", shape=(4,),
                        dtype=torch.float32)
    expected = reference.log_marginal(x.double(), W.double(), b.double(), sigma)
    expect_close(got, expected, what="log p(x)", rtol=1e-4, atol=atol_for(expected, dtype=torch.float32))


@pytest.mark.grade("2.3", "exact_posterior: mean and covariance, random models", points=2)
def test_posterior(student, reference):
    x, W, b, sigma = judge.random_model(6, 3, 0.8, seed=3, batch=4)
    mean, cov = expect_tuple(student.exact_posterior(x, W, b, sigma), 2, what="exact_posterior(...)")
    mean = expect_tensor(mean, what="the posterior mean", shape=(4, 3), dtype=torch.float64)
    cov = expect_tensor(cov, what="the posterior covariance", shape=(3, 3), dtype=torch.float64)
    want_mean, want_cov = reference.exact_posterior(x, W, b, sigma)
    if torch.allclose(cov, torch.linalg.inv(want_cov), rtol=1e-6):
        fail("The covariance returned is the posterior precision S^{-1} = I + W^T W / sigma^2; return its inverse.")
    expect_close(cov, want_cov, what="posterior covariance", rtol=1e-6, atol=1e-9,
                 hint="S = (I + W^T W / sigma^2)^{-1}")
    expect_close(mean, want_mean, what="posterior mean", rtol=1e-6, atol=1e-9,
                 hint="m = S W^T (x - b) / sigma^2")


@pytest.mark.grade("2.4", "elbo: closed form for random q (float64)", points=2)
def test_elbo_closed_form(student, reference):
    x, W, b, sigma = judge.random_model(7, 3, 0.6, seed=4, batch=6)
    q_mu, q_log_var = judge.random_q(6, 3, seed=5)
    got = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(6,),
                        dtype=torch.float64)
    expected = reference.elbo(x, q_mu, q_log_var, W, b, sigma)
    expect_close(got, expected, what="ELBO", rtol=1e-7, atol=atol_for(expected, dtype=torch.float64),
                 hint="E_q[log p(x|z)] - KL(q || N(0, I)), with the trace term sum_j v_j ||W[:, j]||^2 / (2 sigma^2)")


@pytest.mark.grade("2.5", "elbo: float32, sigma >= 0.3", points=1)
def test_elbo_float32(student, reference):
    x, W, b, sigma = judge.random_model(6, 2, 0.4, seed=6, batch=5, dtype=torch.float32)
    q_mu, q_log_var = judge.random_q(5, 2, seed=7, dtype=torch.float32)
    got = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(5,),
                        dtype=torch.float32)
    expected = reference.elbo(x.double(), q_mu.double(), q_log_var.double(), W.double(), b.double(), sigma)
    expect_close(got, expected, what="ELBO", rtol=1e-4, atol=atol_for(expected, dtype=torch.float32))


@pytest.mark.grade("2.6", "the bound: ELBO <= log p(x) for 200 random q", points=2)
def test_bound_holds(student, reference):
    x, W, b, sigma = judge.random_model(5, 3, 0.7, seed=8, batch=1)
    x = x.repeat(200, 1)
    q_mu, q_log_var = judge.random_q(200, 3, seed=9, spread=1.5)
    got = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(200,))
    log_p = reference.log_marginal(x, W, b, sigma)
    above = got > log_p + atol_for(log_p, dtype=torch.float64)
    if above.any():
        fail(f"For {int(above.sum())} of 200 random q the ELBO exceeds log p(x) (by up to "
             f"{float((got - log_p).max()):.4g}): the ELBO must be a lower bound.")


@pytest.mark.grade("2.7", "the bound is tight: ELBO = log p(x) at the exact posterior", points=2)
def test_bound_tight(student, reference):
    x, W, b, sigma = judge.random_model(6, 3, 0.5, seed=10, batch=4, orthogonal=True)
    mean, cov = reference.exact_posterior(x, W, b, sigma)  # diagonal, since W has orthogonal columns
    q_log_var = torch.log(torch.diagonal(cov)).expand(4, 3).clone()
    got = expect_tensor(student.elbo(x, mean, q_log_var, W, b, sigma), what="elbo(...)", shape=(4,))
    log_p = reference.log_marginal(x, W, b, sigma)
    expect_close(got, log_p, what="ELBO at the exact posterior", rtol=1e-7, atol=atol_for(log_p, dtype=torch.float64),
                 hint="log p(x) = ELBO + KL(q || p(z|x)): at q = p(z|x) the KL is 0")


@pytest.mark.grade("2.8", "elbo_gap: KL(q(z|x) || p(z|x)), random q", points=2)
def test_gap(student, reference):
    x, W, b, sigma = judge.random_model(5, 3, 0.6, seed=11, batch=5)
    q_mu, q_log_var = judge.random_q(5, 3, seed=12)
    got = expect_tensor(student.elbo_gap(x, q_mu, q_log_var, W, b, sigma), what="elbo_gap(...)", shape=(5,),
                        dtype=torch.float64)
    expected = reference.elbo_gap(x, q_mu, q_log_var, W, b, sigma)
    log_p = reference.log_marginal(x, W, b, sigma)
    expect_close(got, expected, what="the gap", rtol=1e-6, atol=atol_for(log_p, dtype=torch.float64),
                 hint="the gap log p(x) - ELBO is KL(q || p(z|x)) with q first; KL(p(z|x) || q) is different")


@pytest.mark.grade("2.9", "log p(x) - ELBO equals elbo_gap (your three functions agree)", points=1)
def test_gap_identity(student):
    x, W, b, sigma = judge.random_model(6, 2, 0.5, seed=13, batch=4)
    q_mu, q_log_var = judge.random_q(4, 2, seed=14)
    log_p = expect_tensor(student.log_marginal(x, W, b, sigma), what="log_marginal(...)", shape=(4,))
    bound = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(4,))
    gap = expect_tensor(student.elbo_gap(x, q_mu, q_log_var, W, b, sigma), what="elbo_gap(...)", shape=(4,))
    expect_close(gap, log_p - bound, what="elbo_gap compared with log_marginal - elbo", rtol=1e-6,
                 atol=atol_for(log_p, dtype=torch.float64))


# ----------------------------------------------------------------------------- Monte Carlo
def repeated(student, name, args, times):
    draws = student.run(HELPER, "repeat", name, args, times, function=name, timeout=60).value
    return expect_tensor(draws, what=f"{times} calls of {name}(...)")


@pytest.mark.grade("2.10", "elbo_monte_carlo: unbiased on a random model (z-test, 5 standard errors)", points=2)
def test_monte_carlo_unbiased(student, reference):
    x, W, b, sigma = judge.random_model(5, 3, 0.8, seed=15, batch=3)
    q_mu, q_log_var = judge.random_q(3, 3, seed=16, spread=0.5)
    draws = repeated(student, "elbo_monte_carlo", [x, q_mu, q_log_var, W, b, sigma, 20], 300)
    if tuple(draws.shape) != (300, 3):
        fail(f"elbo_monte_carlo should return one estimate per row, shape (3,); got shape {tuple(draws.shape[1:])}.")
    expected = reference.elbo(x, q_mu, q_log_var, W, b, sigma)
    for row in range(3):
        mean, se = judge.mean_and_se(draws[:, row])
        if se < 1e-9 * (1 + abs(mean)):
            fail("Every call returned the same value: that is not a Monte Carlo estimate (draw z ~ q).")
        z = (mean - float(expected[row])) / se
        if abs(z) > judge.Z_LIMIT:
            fail(f"Averaged over 300 calls, row {row}'s estimate is {mean:.4f} +- {se:.4f}, but the ELBO is "
                 f"{float(expected[row]):.4f} ({z:+.1f} standard errors): the estimate is biased.")


@pytest.mark.grade("2.11", "elbo_monte_carlo: more samples, less variance", points=1)
def test_monte_carlo_variance(student):
    x, W, b, sigma = judge.random_model(5, 3, 0.8, seed=17, batch=1)
    q_mu, q_log_var = judge.random_q(1, 3, seed=18, spread=0.5)
    few = repeated(student, "elbo_monte_carlo", [x, q_mu, q_log_var, W, b, sigma, 2], 300)
    many = repeated(student, "elbo_monte_carlo", [x, q_mu, q_log_var, W, b, sigma, 200], 300)
    ratio = float(few.var() / many.var().clamp_min(1e-300))
    if not 30 < ratio < 300:  # 100 expected; the bounds are far beyond sampling noise
        fail(f"With 100 times more samples the variance should shrink about 100-fold; it shrank {ratio:.3g}-fold. "
             "Average over n_samples independent draws.")


def iwae_draws(student, x, q_mu, q_log_var, W, b, sigma, k, times=300):
    draws = repeated(student, "iwae_bound", [x, q_mu, q_log_var, W, b, sigma, k], times)
    return draws[:, 0]


@pytest.fixture(scope="module")
def iwae_case():
    """A q far enough from the posterior that importance weighting visibly helps."""
    x, W, b, sigma = judge.random_model(4, 2, 0.7, seed=19, batch=1)
    q_mu, q_log_var = torch.zeros(1, 2, dtype=torch.float64), torch.zeros(1, 2, dtype=torch.float64)
    return x, q_mu, q_log_var, W, b, sigma


@pytest.mark.grade("2.12", "iwae_bound: k = 1 is the ELBO; larger k stays below log p(x)", points=2)
def test_iwae_between(student, reference, iwae_case):
    x, q_mu, q_log_var, W, b, sigma = iwae_case
    bound = float(reference.elbo(x, q_mu, q_log_var, W, b, sigma))
    log_p = float(reference.log_marginal(x, W, b, sigma))
    mean1, se1 = judge.mean_and_se(iwae_draws(student, *iwae_case, k=1))
    if abs(mean1 - bound) > judge.Z_LIMIT * se1 + 1e-9:
        fail(f"With k = 1 the IWAE estimate is a one-sample ELBO estimate, so it should average {bound:.4f}; "
             f"it averages {mean1:.4f} +- {se1:.4f}.")
    mean50, se50 = judge.mean_and_se(iwae_draws(student, *iwae_case, k=50))
    if mean50 > log_p + judge.Z_LIMIT * se50:
        fail(f"With k = 50 the IWAE estimate averages {mean50:.4f} +- {se50:.4f}, above log p(x) = {log_p:.4f}. "
             "Remember the 1/k inside the log: log (1/k) sum_j w_j.")


@pytest.mark.grade("2.13", "iwae_bound: tightens as k grows (k = 1, 5, 50)", points=2)
def test_iwae_monotone(student, reference, iwae_case):
    x, q_mu, q_log_var, W, b, sigma = iwae_case
    means = {}
    for k in (1, 5, 50):
        means[k] = judge.mean_and_se(iwae_draws(student, *iwae_case, k=k))
    for small, large in ((1, 5), (5, 50)):
        (m_s, se_s), (m_l, se_l) = means[small], means[large]
        if m_l < m_s - judge.Z_LIMIT * math.hypot(se_s, se_l):
            fail(f"The IWAE estimate should not decrease with k: k = {small} averages {m_s:.4f}, "
                 f"k = {large} averages {m_l:.4f}.")
    log_p = float(reference.log_marginal(x, W, b, sigma))
    bound = float(reference.elbo(x, q_mu, q_log_var, W, b, sigma))
    m50, se50 = means[50]
    if m50 < bound + 0.5 * (log_p - bound) - judge.Z_LIMIT * se50:
        fail(f"With k = 50 the estimate averages {m50:.4f}, hardly above the ELBO {bound:.4f} (log p(x) = "
             f"{log_p:.4f}). Average the weights p(x, z)/q(z|x) inside the log, not the log-weights.")


@pytest.mark.grade("2.14", "iwae_bound: finite when the weights are tiny (float32, d = 10, q = the prior)",
                   points=2)
def test_iwae_finite(student, reference):
    x, W, b, sigma = judge.random_model(10, 2, 0.3, seed=20, batch=1)
    x = (x + 3.0).to(torch.float32)  # far from the model: log-weights around -200
    W, b = W.to(torch.float32), b.to(torch.float32)
    q_mu, q_log_var = torch.zeros(1, 2), torch.zeros(1, 2)
    got = expect_tensor(student.iwae_bound(x, q_mu, q_log_var, W, b, sigma, 100), what="iwae_bound(...)",
                        shape=(1,), dtype=torch.float32)
    if not torch.isfinite(got).all():
        fail(f"iwae_bound returned {got.tolist()}: the importance weights exp(log w) underflow in float32. "
             "Use log-sum-exp: log (1/k) sum_j exp(l_j) = logsumexp(l) - log k.")
    log_p = float(reference.log_marginal(x.double(), W.double(), b.double(), sigma))
    bound = float(reference.elbo(x.double(), q_mu.double(), q_log_var.double(), W.double(), b.double(), sigma))
    if not bound - 50 < float(got) < log_p + 5:
        fail(f"iwae_bound returned {float(got):.2f}, outside any plausible range (ELBO {bound:.2f}, "
             f"log p(x) {log_p:.2f}).")
