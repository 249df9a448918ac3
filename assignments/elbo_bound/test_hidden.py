"""Hidden tests for elbo_bound: random models against the reference's closed forms in float64,
and the properties that make the lesson (the bound, its tightness, the gap identity, an
unbiased Monte Carlo ELBO, IWAE's ordering), judged by statistics at 5 standard errors.

The random functions are called once per check on a batch holding the same x and q in many
rows (each row draws its own z), so one call gives many independent estimates; nothing
depends on how the student draws. Messages never show the inputs."""
import math

import pytest
import torch

from autograder.checks import expect_close, expect_tensor, expect_tuple, fail
F64, F32 = torch.float64, torch.float32


def atol_for(*values, dtype):
    """Absolute tolerance scaled to the magnitudes that cancel (log p, the ELBO, their parts)."""
    scale = max(float(torch.as_tensor(v).abs().max()) for v in values)
    return (3e-5 if dtype == F32 else 1e-9) * (1 + scale)


def call(student, fn, *args):
    """Call ``fn`` and fail if it changed any of its tensor arguments in place."""
    result = student.call(fn, *args)
    if result.mutated:
        fail(f"{fn} changed one of its inputs in place; compute on new tensors instead "
             "(e.g. r = x - b, not x -= b).")
    return result.value


def double(*tensors):
    return [t.double() for t in tensors]


# ----------------------------------------------------------------------------- log p(x)
@pytest.mark.grade("2.1", "log_marginal: random models (float64, sigma = 0.6 and 0.05)", points=2)
def test_log_marginal_float64(student, judge):
    for d, k, sigma, seed in ((6, 3, 0.6, 1), (8, 2, 0.05, 2)):
        x, W, b, sigma = judge.random_model(d, k, sigma, seed=seed, batch=5)
        got = expect_tensor(call(student, "log_marginal", x, W, b, sigma), what="log_marginal(...)", shape=(5,),
                            dtype=F64)
        C = W @ W.T + sigma**2 * torch.eye(d, dtype=F64)  # the judge's closed form, independent of the reference
        expected = torch.distributions.MultivariateNormal(b, covariance_matrix=C).log_prob(x)
        expect_close(got, expected, what="log p(x)", rtol=1e-7, atol=atol_for(expected, dtype=F64),
                     hint="x ~ N(b, W W^T + sigma^2 I): sigma^2 (not sigma) on the diagonal, -d/2 log 2pi, "
                          "and -1/2 log det C")


@pytest.mark.grade("2.2", "log_marginal: float32 in, float32 out (sigma = 0.4)", points=1)
def test_log_marginal_float32(student, reference, judge):
    x, W, b, sigma = judge.random_model(8, 2, 0.4, seed=3, batch=4, dtype=F32)
    got = expect_tensor(student.log_marginal(x, W, b, sigma), what="log_marginal(...)", shape=(4,), dtype=F32)
    expected = reference.log_marginal(*double(x, W, b), sigma)
    expect_close(got, expected, what="log p(x)", rtol=1e-4, atol=atol_for(expected, dtype=F32))


# ----------------------------------------------------------------------------- p(z | x)
@pytest.mark.grade("2.3", "exact_posterior: mean and covariance, random models (float64)", points=2)
def test_posterior(student, reference, judge):
    for d, k, sigma, seed in ((6, 3, 0.8, 4), (7, 2, 0.05, 5)):
        x, W, b, sigma = judge.random_model(d, k, sigma, seed=seed, batch=4)
        mean, cov = expect_tuple(call(student, "exact_posterior", x, W, b, sigma), 2, what="exact_posterior(...)")
        mean = expect_tensor(mean, what="the posterior mean", shape=(4, k), dtype=F64)
        cov = expect_tensor(cov, what="the posterior covariance", shape=(k, k), dtype=F64)
        want_mean, want_cov = reference.exact_posterior(x, W, b, sigma)
        precision = torch.linalg.inv(want_cov)
        if torch.allclose(cov, precision, rtol=1e-6):
            fail("The covariance returned is the posterior precision S^{-1} = I + W^T W / sigma^2; "
                 "the covariance is its inverse.")
        expect_close(cov, want_cov, what="posterior covariance", rtol=1e-6, atol=1e-9 * float(want_cov.abs().max()),
                     hint="S = (I + W^T W / sigma^2)^{-1}, with sigma squared")
        expect_close(mean, want_mean, what="posterior mean", rtol=1e-6, atol=1e-9 * (1 + float(want_mean.abs().max())),
                     hint="m = S W^T (x - b) / sigma^2: do not forget the 1/sigma^2")


@pytest.mark.grade("2.4", "exact_posterior: float32 in, float32 out (sigma = 0.5)", points=1)
def test_posterior_float32(student, reference, judge):
    x, W, b, sigma = judge.random_model(5, 2, 0.5, seed=6, batch=3, dtype=F32)
    mean, cov = expect_tuple(student.exact_posterior(x, W, b, sigma), 2, what="exact_posterior(...)")
    mean = expect_tensor(mean, what="the posterior mean", shape=(3, 2), dtype=F32)
    cov = expect_tensor(cov, what="the posterior covariance", shape=(2, 2), dtype=F32)
    want_mean, want_cov = reference.exact_posterior(*double(x, W, b), sigma)
    expect_close(cov, want_cov, what="posterior covariance", rtol=1e-4, atol=3e-5 * float(want_cov.abs().max()))
    expect_close(mean, want_mean, what="posterior mean", rtol=1e-4, atol=atol_for(want_mean, dtype=F32))


# ----------------------------------------------------------------------------- the ELBO
@pytest.mark.grade("2.5", "elbo: closed form for random q (float64, sigma = 0.6 and 0.05)", points=2)
def test_elbo_closed_form(student, reference, judge):
    for d, k, sigma, seed in ((7, 3, 0.6, 7), (6, 2, 0.05, 8)):
        x, W, b, sigma = judge.random_model(d, k, sigma, seed=seed, batch=6)
        q_mu, q_log_var = judge.random_q(6, k, seed=seed + 100)
        got = expect_tensor(call(student, "elbo", x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(6,),
                            dtype=F64)
        expected = reference.elbo(x, q_mu, q_log_var, W, b, sigma)
        expect_close(got, expected, what="ELBO", rtol=1e-7, atol=atol_for(expected, dtype=F64),
                     hint="E_q[log p(x|z)] - KL(q || N(0, I)); E_q[log p(x|z)] includes the trace term "
                          "sum_j v_j ||W[:, j]||^2 / (2 sigma^2)")


@pytest.mark.grade("2.6", "elbo: float32 in, float32 out (sigma = 0.4)", points=1)
def test_elbo_float32(student, reference, judge):
    x, W, b, sigma = judge.random_model(6, 2, 0.4, seed=9, batch=5, dtype=F32)
    q_mu, q_log_var = judge.random_q(5, 2, seed=10, dtype=F32)
    got = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(5,), dtype=F32)
    expected = reference.elbo(*double(x, q_mu, q_log_var, W, b), sigma)
    log_p = reference.log_marginal(*double(x, W, b), sigma)
    expect_close(got, expected, what="ELBO", rtol=1e-4, atol=atol_for(expected, log_p, dtype=F32))


@pytest.mark.grade("2.7", "the bound: ELBO <= log p(x) for 200 random q", points=2)
def test_bound_holds(student, reference, judge):
    x, W, b, sigma = judge.random_model(5, 3, 0.7, seed=11, batch=1)
    x = x.repeat(200, 1)
    q_mu, q_log_var = judge.random_q(200, 3, seed=12, spread=1.5)
    got = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(200,))
    log_p = reference.log_marginal(x, W, b, sigma)
    if not torch.isfinite(got).all():
        fail("elbo returned non-finite values for some q.")
    above = got > log_p + atol_for(log_p, got, dtype=F64)
    if above.any():
        fail(f"For {int(above.sum())} of 200 random q your ELBO exceeds log p(x) (by up to "
             f"{float((got - log_p).max()):.4g} nats), but log p(x) = ELBO + KL(q || p(z|x)) and KL >= 0: "
             "the ELBO is a lower bound. A missing term of E_q[log p(x|z)] (the trace term "
             "sum_j v_j ||W[:, j]||^2 / (2 sigma^2)) or a wrong sign on the KL makes it too large.")


@pytest.mark.grade("2.8", "the bound is tight: ELBO = log p(x) at the exact posterior", points=2)
def test_bound_tight(student, reference, judge):
    x, W, b, sigma = judge.random_model(6, 3, 0.5, seed=13, batch=4, orthogonal=True)
    mean, cov = reference.exact_posterior(x, W, b, sigma)  # diagonal: W has orthogonal columns
    q_log_var = torch.log(torch.diagonal(cov)).expand(4, 3).clone()
    got = expect_tensor(student.elbo(x, mean, q_log_var, W, b, sigma), what="elbo(...)", shape=(4,))
    log_p = reference.log_marginal(x, W, b, sigma)
    expect_close(got, log_p, what="ELBO at the exact posterior (compared with log p(x))", rtol=1e-7,
                 atol=atol_for(log_p, dtype=F64),
                 hint="log p(x) = ELBO + KL(q || p(z|x)): at q = p(z|x) the KL is 0, so the ELBO equals log p(x)")


# ----------------------------------------------------------------------------- the gap
@pytest.mark.grade("2.9", "elbo_gap: KL(q(z|x) || p(z|x)), random q (float64, sigma = 0.6 and 0.05)", points=2)
def test_gap(student, reference, judge):
    for d, k, sigma, seed in ((5, 3, 0.6, 14), (6, 2, 0.05, 15)):
        x, W, b, sigma = judge.random_model(d, k, sigma, seed=seed, batch=5)
        q_mu, q_log_var = judge.random_q(5, k, seed=seed + 100)
        got = expect_tensor(call(student, "elbo_gap", x, q_mu, q_log_var, W, b, sigma), what="elbo_gap(...)",
                            shape=(5,), dtype=F64)
        expected = reference.elbo_gap(x, q_mu, q_log_var, W, b, sigma)
        scale = (reference.log_marginal(x, W, b, sigma), reference.elbo(x, q_mu, q_log_var, W, b, sigma))
        if (got < -atol_for(*scale, dtype=F64)).any():
            fail("elbo_gap returned negative values, but the gap log p(x) - ELBO = KL(q(z|x) || p(z|x)) is a KL "
                 "divergence, never negative (that is why the ELBO is a lower bound).")
        expect_close(got, expected, what="the gap", rtol=1e-6, atol=atol_for(*scale, dtype=F64),
                     hint="the gap log p(x) - ELBO is KL(q(z|x) || p(z|x)), q first; KL(p(z|x) || q) differs")


@pytest.mark.grade("2.10", "elbo_gap: float32 in, float32 out (sigma = 0.5)", points=1)
def test_gap_float32(student, reference, judge):
    x, W, b, sigma = judge.random_model(6, 2, 0.5, seed=16, batch=5, dtype=F32)
    q_mu, q_log_var = judge.random_q(5, 2, seed=17, dtype=F32)
    got = expect_tensor(student.elbo_gap(x, q_mu, q_log_var, W, b, sigma), what="elbo_gap(...)", shape=(5,),
                        dtype=F32)
    args64 = double(x, q_mu, q_log_var, W, b)
    expected = reference.elbo_gap(*args64, sigma)
    scale = (reference.log_marginal(*double(x, W, b), sigma), reference.elbo(*args64, sigma))
    # log p(x) - ELBO cancels digits in float32: the tolerance scales with the magnitudes that cancel.
    expect_close(got, expected, what="the gap", rtol=1e-4, atol=atol_for(*scale, dtype=F32))


@pytest.mark.grade("2.11", "log p(x) - ELBO equals elbo_gap (your three functions agree)", points=1)
def test_gap_identity(student, judge):
    x, W, b, sigma = judge.random_model(6, 2, 0.5, seed=18, batch=4)
    q_mu, q_log_var = judge.random_q(4, 2, seed=19)
    log_p = expect_tensor(student.log_marginal(x, W, b, sigma), what="log_marginal(...)", shape=(4,))
    bound = expect_tensor(student.elbo(x, q_mu, q_log_var, W, b, sigma), what="elbo(...)", shape=(4,))
    gap = expect_tensor(student.elbo_gap(x, q_mu, q_log_var, W, b, sigma), what="elbo_gap(...)", shape=(4,))
    # These q are far from the exact posterior (gaps of several nats): a gap of 0 would make the
    # identity hold for any three functions that return the same constant.
    if not (gap > 0).all():
        fail("elbo_gap returned 0 or less for approximate posteriors q that are not the exact posterior: the gap "
             "log p(x) - ELBO = KL(q(z|x) || p(z|x)) is positive whenever q differs from p(z|x).")
    expect_close(gap, log_p - bound, what="elbo_gap compared with log_marginal - elbo", rtol=1e-6,
                 atol=atol_for(log_p, bound, dtype=F64),
                 hint="log p(x) = ELBO + KL(q(z|x) || p(z|x)) holds for every q: all three must agree")


# ----------------------------------------------------------------------------- Monte Carlo ELBO
def monte_carlo_slips(elbo, q_mu, q_log_var):
    """Per row: what a Monte Carlo ELBO that drops or flips a part of log p(x, z) - log q(z|x)
    averages (judge side: closed forms of the parts under q), with the explanation shown."""
    k = q_mu.shape[-1]
    v = q_log_var.exp()
    kl = 0.5 * (v + q_mu**2 - 1 - q_log_var).sum(-1)
    log_prior = -0.5 * (k * math.log(2 * math.pi) + (q_mu**2 + v).sum(-1))  # E_q[log p(z)]
    log_q = -0.5 * (k * math.log(2 * math.pi) + q_log_var.sum(-1) + k)  # E_q[log q(z|x)]
    return [{
        "That is E_q[log p(x|z)] alone (the reconstruction term): log p(x, z) - log q(z|x) = log p(x|z) + "
        "log p(z) - log q(z|x), and the mean of log p(z) - log q(z|x) is -KL(q || p(z)); the KL is missing.":
            float(elbo[i] + kl[i]),
        "That is E_q[log p(x|z)] + KL(q || p(z)): the KL is subtracted from the expected log-likelihood, "
        "not added.": float(elbo[i] + 2 * kl[i]),
        "That is E_q[log p(x, z)]: - log q(z|x) (the entropy term) is missing.": float(elbo[i] + log_q[i]),
        "That is E_q[log p(x|z) - log q(z|x)]: log p(z), the prior's part of log p(x, z), is missing.":
            float(elbo[i] - log_prior[i]),
    } for i in range(len(elbo))]


@pytest.mark.grade("2.12", "elbo_monte_carlo: unbiased on random models (z-test, 5 standard errors)", points=2)
def test_monte_carlo_unbiased(student, reference, judge, child_helpers):
    rows = 200
    x, W, b, sigma = judge.random_model(5, 3, 0.8, seed=20, batch=3)
    q_mu, q_log_var = judge.random_q(3, 3, seed=21, spread=0.5)
    # Three more cases near the exact posterior (which is narrow and away from the prior): there the
    # KL(q || p(z)) of 1.5 to 2.6 nats is 25 to 50 standard errors, so an estimate of E_q[log p(x|z)]
    # alone (the KL forgotten) cannot pass for the ELBO.
    mean, cov = reference.exact_posterior(x, W, b, sigma)
    shift_mu, shift_lv = judge.random_q(3, 3, seed=27, spread=0.5)
    near_mu = mean + shift_mu * torch.diagonal(cov).sqrt()
    near_lv = torch.log(torch.diagonal(cov)) + shift_lv
    x, q_mu, q_log_var = torch.cat([x, x]), torch.cat([q_mu, near_mu]), torch.cat([q_log_var, near_lv])
    groups = len(x)
    xs, mus, lvs = judge.repeat_rows(rows, x, q_mu, q_log_var)
    draws = judge.batch_draws(student, child_helpers, "elbo_monte_carlo", [xs, mus, lvs, W, b, sigma, 20],
                              groups=groups, rows=rows, what="elbo_monte_carlo(..., n_samples=20)", dtype=F64)
    expected = reference.elbo(x, q_mu, q_log_var, W, b, sigma)
    slips = monte_carlo_slips(expected, q_mu, q_log_var)
    for g in range(groups):
        mean, se = judge.mean_and_se(draws[g])
        z = (mean - float(expected[g])) / se
        if abs(z) > judge.Z_LIMIT:
            fail(f"Averaged over {rows} independent estimates, case {g + 1} gives {mean:.4f} +- {se:.4f}, but "
                 f"the ELBO is {float(expected[g]):.4f} ({z:+.1f} standard errors): the estimate is biased."
                 + judge.which_slip(mean, se, slips[g])
                 + " Average log p(x, z_s) - log q(z_s|x) over z_s = mu + exp(log_var / 2) * eps_s.")


@pytest.mark.grade("2.13", "elbo_monte_carlo: 50 times more samples, 50 times less variance", points=1)
def test_monte_carlo_variance(student, judge, child_helpers):
    rows = 300
    x, W, b, sigma = judge.random_model(5, 3, 0.8, seed=22, batch=1)
    q_mu, q_log_var = judge.random_q(1, 3, seed=23, spread=0.5)
    args = judge.repeat_rows(rows, x, q_mu, q_log_var)
    few = judge.batch_draws(student, child_helpers, "elbo_monte_carlo", [*args, W, b, sigma, 2], groups=1, rows=rows,
                            what="elbo_monte_carlo(..., n_samples=2)")
    many = judge.batch_draws(student, child_helpers, "elbo_monte_carlo", [*args, W, b, sigma, 100], groups=1, rows=rows,
                             what="elbo_monte_carlo(..., n_samples=100)")
    ratio = float(few.var() / many.var())
    if not 15 < ratio < 170:  # 50 expected; sampling noise moves the ratio by about 15%
        fail(f"With 50 times more samples the variance of the estimate should shrink about 50-fold; it shrank "
             f"{ratio:.3g}-fold. Average over n_samples independent draws (the variance of a mean of n "
             "independent terms is 1/n of one term's).")


# ----------------------------------------------------------------------------- IWAE
def iwae_case(judge):
    """q = the prior on a model where it is a poor posterior: ELBO -21.2, log p(x) -5.37; the IWAE
    bound is about -21 (k = 1, standard error 0.45 over 2000 rows), -7.6 (k = 5) and -5.45 (k = 50)."""
    x, W, b, sigma = judge.random_model(4, 2, 0.7, seed=24, batch=1)
    q0 = torch.zeros(1, 2, dtype=F64)
    return x, q0, q0.clone(), W, b, sigma


IWAE_ROWS = {1: 2000, 5: 1000, 50: 400}  # the log-weights are skewed: more rows where k is small


def iwae_means(student, judge, child_helpers, k):
    rows = IWAE_ROWS[k]
    x, q_mu, q_log_var, W, b, sigma = iwae_case(judge)
    args = judge.repeat_rows(rows, x, q_mu, q_log_var)
    draws = judge.batch_draws(student, child_helpers, "iwae_bound", [*args, W, b, sigma, k], groups=1, rows=rows,
                              what=f"iwae_bound(..., k={k})", dtype=F64)
    return judge.mean_and_se(draws)


@pytest.mark.grade("2.14", "iwae_bound: k = 1 is the ELBO; k = 50 stays below log p(x)", points=2)
def test_iwae_between(student, reference, judge, child_helpers):
    x, q_mu, q_log_var, W, b, sigma = iwae_case(judge)
    bound = float(reference.elbo(x, q_mu, q_log_var, W, b, sigma))
    log_p = float(reference.log_marginal(x, W, b, sigma))
    mean1, se1 = iwae_means(student, judge, child_helpers, 1)
    if abs(mean1 - bound) > judge.Z_LIMIT * se1:
        fail(f"With k = 1 the IWAE estimate is a one-sample ELBO estimate, so it should average the ELBO "
             f"{bound:.4f}; it averages {mean1:.4f} +- {se1:.4f}.")
    mean50, se50 = iwae_means(student, judge, child_helpers, 50)
    if mean50 > log_p + judge.Z_LIMIT * se50:
        fail(f"With k = 50 the IWAE estimate averages {mean50:.4f} +- {se50:.4f}, above log p(x) = {log_p:.4f}, "
             "but its expectation is a lower bound on log p(x). Check the 1/k inside the log, "
             "log (1/k) sum_j w_j = logsumexp(log w) - log k, and the log-weights log p(x, z_j) - log q(z_j|x).")


@pytest.mark.grade("2.15", "iwae_bound: at least the ELBO and tightening as k grows (k = 1, 5, 50)", points=2)
def test_iwae_monotone(student, reference, judge, child_helpers):
    x, q_mu, q_log_var, W, b, sigma = iwae_case(judge)
    log_p = float(reference.log_marginal(x, W, b, sigma))
    bound = float(reference.elbo(x, q_mu, q_log_var, W, b, sigma))
    means = {k: iwae_means(student, judge, child_helpers, k) for k in (1, 5, 50)}
    for k, (m, se) in means.items():
        if m < bound - judge.Z_LIMIT * se:
            fail(f"With k = {k} the IWAE estimate averages {m:.4f} +- {se:.4f}, below the ELBO {bound:.4f}; "
                 "by Jensen's inequality log (1/k) sum_j w_j >= (1/k) sum_j log w_j, whose mean is the ELBO.")
    for small, large in ((1, 5), (5, 50)):
        (m_s, se_s), (m_l, se_l) = means[small], means[large]
        if m_l < m_s - judge.Z_LIMIT * math.hypot(se_s, se_l):
            fail(f"The IWAE bound must not decrease with k: k = {small} averages {m_s:.4f}, "
                 f"k = {large} averages {m_l:.4f}.")
    m50, se50 = means[50]
    if m50 < bound + 0.5 * (log_p - bound) - judge.Z_LIMIT * se50:
        fail(f"With k = 50 the estimate averages {m50:.4f}, hardly above the ELBO {bound:.4f} (log p(x) = "
             f"{log_p:.4f}). Average the weights p(x, z_j)/q(z_j|x) inside the log, not the log-weights.")


def far_case(judge, d, sigma, shift, seed, dtype):
    """q = the prior, x far from the model: every log-weight is hugely negative."""
    x, W, b, sigma = judge.random_model(d, 2, sigma, seed=seed, batch=1)
    x = x + shift
    q0 = torch.zeros(1, 2, dtype=F64)
    return [t.to(dtype) for t in (x, q0, q0.clone(), W, b)] + [sigma]


def check_finite_iwae(student, reference, judge, case, rows, k, dtype, weights_about):
    x, q_mu, q_log_var, W, b, sigma = case
    args = judge.repeat_rows(rows, x, q_mu, q_log_var)
    out = expect_tensor(student.iwae_bound(*args, W, b, sigma, k), what=f"iwae_bound(..., k={k})", shape=(rows,),
                        dtype=dtype)
    if not torch.isfinite(out).all():
        fail(f"iwae_bound returned {out[~torch.isfinite(out)][0].item()} where the log-weights are about "
             f"{weights_about}: exp of them is 0 in {str(dtype).replace('torch.', '')}, and log 0 = -inf. Never "
             "form the weights themselves: log (1/k) sum_j exp(l_j) = logsumexp(l) - log k, computed as "
             "m + log (1/k) sum_j exp(l_j - m) with m = max_j l_j (torch.logsumexp does it).")
    x64, mu64, lv64, W64, b64 = double(x, q_mu, q_log_var, W, b)
    log_p = float(reference.log_marginal(x64, W64, b64, sigma))
    bound = float(reference.elbo(x64, mu64, lv64, W64, b64, sigma))
    mean, se = judge.mean_and_se(out)
    if mean > log_p + judge.Z_LIMIT * se + atol_for(log_p, dtype=dtype) or mean < bound - judge.Z_LIMIT * se:
        fail(f"iwae_bound averages {mean:.2f} +- {se:.2f}, outside [ELBO, log p(x)] = [{bound:.2f}, {log_p:.2f}] "
             "by more than 5 standard errors.")


@pytest.mark.grade("2.16", "iwae_bound: finite when the weights underflow float32 (d = 10, sigma = 0.3, q = prior)",
                   points=1)
def test_iwae_finite_float32(student, reference, judge):
    check_finite_iwae(student, reference, judge, far_case(judge, 10, 0.3, 3.0, 25, F32), rows=50, k=100, dtype=F32,
                      weights_about="-540 or less")


@pytest.mark.grade("2.17", "iwae_bound: finite when the weights underflow float64 (d = 10, sigma = 0.1, q = prior)",
                   points=2)
def test_iwae_finite_float64(student, reference, judge):
    # The issue asked for float32 with sigma = 0.1; the test domain keeps float32 at sigma >= 0.3, so the
    # small-sigma case runs in float64, with log-weights of -870 and less (-1850 typical), so that exp()
    # underflows even there (below about -745).
    check_finite_iwae(student, reference, judge, far_case(judge, 10, 0.1, 1.5, 26, F64), rows=50, k=100, dtype=F64,
                      weights_about="-870 or less")
