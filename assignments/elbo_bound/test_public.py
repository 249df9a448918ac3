"""Public tests for elbo_bound: a model small enough to do by hand (d = 2, k = 1).

W = (1, 0)^T, b = (0, 1/2), sigma = 1/2, x = (1, 1):  C = W W^T + sigma^2 I = diag(5/4, 1/4),
log p(x) = -log 2pi - (1/2) log(5/16) - 9/10; the posterior is N(4/5, 1/5); for q = N(0, 1)
the ELBO is -log 2pi + 2 log 2 - 9/2 and the gap is 18/5 - (1/2) log 5; for q = N(1, 1/4), whose
KL to the prior (1/8 + log 2) separates the ELBO, -log pi - 9/8, from E_q[log p(x|z)], the ELBO
without its KL (see judge_helpers.py).

The random functions are judged on 400 independent estimates for the same x and q (400 calls in
a row, see judge_helpers.batch_draws)."""
import math

import pytest
import torch

from autograder.checks import expect_close, expect_tensor, expect_tuple, fail
PRIOR_Q = (torch.zeros(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64))


@pytest.mark.grade("1.1", "log_marginal: log p(x) of the small model", points=1)
def test_log_marginal_small(student, judge):
    x, W, b, sigma = judge.small_model()
    got = expect_tensor(student.log_marginal(x, W, b, sigma), what="log_marginal(x, W, b, sigma)", shape=(1,),
                        dtype=torch.float64)
    expect_close(got, [judge.LOG_P_SMALL], what="log p(x)", inputs=judge.SMALL_WHERE, rtol=1e-6, atol=1e-9,
                 hint="x ~ N(b, C) with C = W W^T + sigma^2 I (sigma squared); "
                      "log p(x) = -(1/2)[d log 2pi + log det C + (x - b)^T C^{-1} (x - b)]")


@pytest.mark.grade("1.2", "exact_posterior: mean 4/5 and covariance 1/5 on the small model", points=1)
def test_posterior_small(student, judge):
    x, W, b, sigma = judge.small_model()
    mean, cov = expect_tuple(student.exact_posterior(x, W, b, sigma), 2, what="exact_posterior(...)")
    mean = expect_tensor(mean, what="the posterior mean", shape=(1, 1), dtype=torch.float64)
    cov = expect_tensor(cov, what="the posterior covariance", shape=(1, 1), dtype=torch.float64)
    expect_close(cov, [[judge.POSTERIOR_VAR_SMALL]], what="posterior covariance", inputs=judge.SMALL_WHERE, rtol=1e-6,
                 atol=1e-9, hint="S = (I + W^T W / sigma^2)^{-1}: the inverse of the precision I + W^T W / sigma^2")
    expect_close(mean, [[judge.POSTERIOR_MEAN_SMALL]], what="posterior mean", inputs=judge.SMALL_WHERE, rtol=1e-6,
                 atol=1e-9, hint="m = S W^T (x - b) / sigma^2")


@pytest.mark.grade("1.3", "elbo: q = the prior N(0, 1) on the small model", points=1)
def test_elbo_prior_small(student, judge):
    x, W, b, sigma = judge.small_model()
    got = expect_tensor(student.elbo(x, *PRIOR_Q, W, b, sigma), what="elbo(...)", shape=(1,), dtype=torch.float64)
    expect_close(got, [judge.ELBO_PRIOR_SMALL], what="ELBO", inputs=f"{judge.SMALL_WHERE}, q = N(0, 1)", rtol=1e-6,
                 atol=1e-9, hint="E_q[log p(x|z)] = -(d/2) log(2 pi sigma^2) - (||x - W mu - b||^2 + "
                                 "sum_j v_j ||W[:, j]||^2) / (2 sigma^2); then subtract KL(q || N(0, I))")


@pytest.mark.grade("1.4", "elbo: equals log p(x) when q is the exact posterior", points=1)
def test_elbo_tight_small(student, judge):
    x, W, b, sigma = judge.small_model()
    q_mu = torch.tensor([[judge.POSTERIOR_MEAN_SMALL]], dtype=torch.float64)
    q_log_var = torch.tensor([[math.log(judge.POSTERIOR_VAR_SMALL)]], dtype=torch.float64)
    got = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(1,))
    expect_close(got, [judge.LOG_P_SMALL], what="ELBO at the exact posterior",
                 inputs=f"{judge.SMALL_WHERE}, q = N(4/5, 1/5)", rtol=1e-6, atol=1e-9,
                 hint="log p(x) = ELBO + KL(q || p(z|x)), and that KL is 0 here")


@pytest.mark.grade("1.5", "elbo_gap: KL(q || p(z|x)) for q = the prior", points=1)
def test_gap_small(student, judge):
    x, W, b, sigma = judge.small_model()
    got = expect_tensor(student.elbo_gap(x, *PRIOR_Q, W, b, sigma), what="elbo_gap(...)", shape=(1,),
                        dtype=torch.float64)
    if float(got) < 0:
        fail(f"elbo_gap returned {float(got):.6g} on {judge.SMALL_WHERE}, q = N(0, 1): negative, but the gap "
             "log p(x) - ELBO = KL(q(z|x) || p(z|x)) is a KL divergence, never negative (that is why the "
             "ELBO is a lower bound).")
    expect_close(got, [judge.GAP_PRIOR_SMALL], what="the gap", inputs=f"{judge.SMALL_WHERE}, q = N(0, 1)", rtol=1e-6,
                 atol=1e-9, hint="the gap is KL(q(z|x) || p(z|x)), with q first")


def monte_carlo_slips(elbo: float, expected_log_lik: float, kl: float, log_prior: float, log_q: float):
    """What a Monte Carlo estimate that drops or flips a part of log p(x, z) - log q(z|x) averages,
    from the parts' expectations under q, with the explanation the student reads."""
    return {
        "That is E_q[log p(x|z)] alone (the reconstruction term): log p(x, z) - log q(z|x) = log p(x|z) + "
        "log p(z) - log q(z|x), and the mean of log p(z) - log q(z|x) is -KL(q || p(z)); the KL is missing.":
            expected_log_lik,
        "That is E_q[log p(x|z)] + KL(q || p(z)): the KL is subtracted from the expected log-likelihood, "
        "not added.": expected_log_lik + kl,
        "That is E_q[log p(x, z)]: - log q(z|x) (the entropy term) is missing.": elbo + log_q,
        "That is E_q[log p(x|z) - log q(z|x)]: log p(z), the prior's part of log p(x, z), is missing.":
            elbo - log_prior,
    }


@pytest.mark.grade("1.6", "elbo_monte_carlo: unbiased, and a real Monte Carlo estimate", points=1)
def test_monte_carlo_small(student, judge, child_helpers):
    x, W, b, sigma = judge.small_model(batch=400)
    mean_q, var_q = judge.Q_NEAR_SMALL
    near_q = (torch.full((1, 1), mean_q, dtype=torch.float64), torch.full((1, 1), math.log(var_q), dtype=torch.float64))
    cases = [  # (q, its description, the ELBO, slips); for q = N(1, 1/4) the KL to the prior is 0.82 nats
        (PRIOR_Q, "q = N(0, 1)", judge.ELBO_PRIOR_SMALL,
         monte_carlo_slips(judge.ELBO_PRIOR_SMALL, judge.ELBO_PRIOR_SMALL, 0.0, judge.LOG_PRIOR_PRIOR_SMALL,
                           judge.LOG_PRIOR_PRIOR_SMALL)),
        (near_q, "q = N(1, 1/4)", judge.ELBO_NEAR_SMALL,
         monte_carlo_slips(judge.ELBO_NEAR_SMALL, judge.EXPECTED_LOG_LIK_NEAR_SMALL, judge.KL_NEAR_SMALL,
                           judge.LOG_PRIOR_NEAR_SMALL, judge.LOG_Q_NEAR_SMALL)),
    ]
    for q, where_q, want, slips in cases:
        q_mu, q_log_var = (t.repeat(400, 1) for t in q)
        draws = judge.batch_draws(student, child_helpers, "elbo_monte_carlo", [x, q_mu, q_log_var, W, b, sigma, 10],
                                  groups=1, rows=400, what="elbo_monte_carlo(..., n_samples=10) on 400 copies of x")
        mean, se = judge.mean_and_se(draws)
        z = (mean - want) / se
        if abs(z) > judge.Z_LIMIT:
            fail(f"On {judge.SMALL_WHERE}, {where_q}, n_samples = 10, the 400 estimates average "
                 f"{mean:.4f} +- {se:.4f}, but the ELBO is {want:.4f} ({z:+.1f} standard errors): the estimate is biased."
                 + judge.which_slip(mean, se, slips)
                 + " Average log p(x, z) - log q(z|x) over z = mu + exp(log_var / 2) * eps.")


@pytest.mark.grade("1.7", "iwae_bound: between the ELBO and log p(x), on average", points=1)
def test_iwae_small(student, judge, child_helpers):
    x, W, b, sigma = judge.small_model(batch=400)
    q_mu, q_log_var = (t.repeat(400, 1) for t in PRIOR_Q)
    draws = judge.batch_draws(student, child_helpers, "iwae_bound", [x, q_mu, q_log_var, W, b, sigma, 20], groups=1,
                              rows=400, what="iwae_bound(..., k=20) on 400 copies of x")
    mean, se = judge.mean_and_se(draws)
    if mean > judge.LOG_P_SMALL + judge.Z_LIMIT * se:
        fail(f"On {judge.SMALL_WHERE}, q = N(0, 1), k = 20, the IWAE estimate averages {mean:.4f} +- {se:.4f}, above "
             f"log p(x) = {judge.LOG_P_SMALL:.4f}, but its expectation is a lower bound on log p(x). Check the "
             "- log k (the 1/k inside the log) and the log-weights log p(x, z_j) - log q(z_j|x).")
    # The IWAE bound here is about -2.22, the ELBO -4.95: a log of the mean of the weights lands near the top.
    if mean < judge.ELBO_PRIOR_SMALL + 0.5 * judge.GAP_PRIOR_SMALL:
        fail(f"On {judge.SMALL_WHERE}, q = N(0, 1), k = 20, the IWAE estimate averages {mean:.4f} +- {se:.4f}: hardly "
             f"tighter than the ELBO {judge.ELBO_PRIOR_SMALL:.4f} (log p(x) = {judge.LOG_P_SMALL:.4f}). It is "
             "the log of the MEAN of the weights p(x, z_j)/q(z_j|x), not the mean of the log-weights.")
