"""Public tests for reparameterization: students run these with `autograder check`.

Expected values are literals (worked out by hand from the formulas), never taken from the
reference solution, so this file can ship in the student bundle. Random draws are judged
by their statistics (see judge_helpers.py), never by matching a random stream.
"""
import math

import pytest
import torch

from autograder.checks import expect_close, expect_tensor, fail

# sigma = exp(log_var / 2) = (1, 2, 0.5)
MU = torch.tensor([0.0, 1.0, -2.0])
LOG_VAR = torch.tensor([0.0, math.log(4.0), math.log(0.25)])
EPS = torch.tensor([1.5, -0.5, 2.0])
WHERE = "mu = (0, 1, -2), log_var = (0, ln 4, ln 0.25), eps = (1.5, -0.5, 2)"


@pytest.mark.grade("1.1", "sample_gaussian with given eps: z = mu + exp(log_var / 2) * eps", points=1)
def test_sample_given_eps(student):
    got = expect_tensor(student.sample_gaussian(MU, LOG_VAR, EPS), what="sample_gaussian(mu, log_var, eps)",
                        shape=(3,), dtype=torch.float32)
    if torch.allclose(got, torch.tensor([1.5, -1.0, -1.5]), atol=1e-4):
        fail(f"For {WHERE} you returned mu + exp(log_var) * eps, which scales eps by the variance. "
             "The standard deviation is sigma = exp(log_var / 2).")
    expect_close(got, torch.tensor([1.5, 0.0, -1.0]), what="z", inputs=WHERE, rtol=1e-5, atol=1e-6,
                 hint="use the eps you are given (do not draw new noise); sigma = exp(log_var / 2)")


@pytest.mark.grade("1.2", "sample_gaussian: dz/dmu = 1 and dz/dlog_var = sigma * eps / 2, with eps given or drawn",
                   points=1)
def test_sample_gradients(student, child_helpers):
    for given in (True, False):
        args = (MU, LOG_VAR, EPS) if given else (MU, LOG_VAR)
        where = WHERE if given else "mu = (0, 1, -2), log_var = (0, ln 4, ln 0.25), eps drawn by your code"
        out = student.run(child_helpers, "sample_with_grads", *args, function="sample_gaussian").value
        z = expect_tensor(out["z"], what=f"sample_gaussian{'(mu, log_var, eps)' if given else '(mu, log_var)'}",
                          shape=(3,))
        if not out["differentiable"]:
            fail(f"For {where}, the returned z does not depend on mu and log_var through autograd, so no "
                 "gradient can flow back to them. Build z = mu + sigma * eps from torch operations on mu and "
                 "log_var (no .detach(), no torch.no_grad(), no .sample()); draw only eps at random.")
        for name in ("mu", "log_var"):
            if out[f"grad_{name}"] is None:
                fail(f"For {where}, no gradient reaches {name}: it was cut off from the graph (.detach()?).")
        if not out["grad_mu"].any():
            fail(f"For {where}, dz/dmu is 0: the sample does not move with mu. torch.normal(mu, std) draws "
                 "without a path back to its parameters; draw eps ~ N(0, I) and compute mu + sigma * eps.")
        # sigma * eps = z - mu: the expected gradient follows from z whichever eps was used
        expected = torch.tensor([0.75, -0.5, 0.5]) if given else 0.5 * (z - MU)
        expect_close(out["grad_mu"], torch.ones(3), what="dz/dmu", inputs=where, rtol=1e-5, atol=1e-6)
        expect_close(out["grad_log_var"], expected, what="dz/dlog_var", inputs=where, rtol=1e-4, atol=1e-5,
                     hint="dz/dlog_var = exp(log_var / 2) * eps / 2 = (z - mu) / 2")


@pytest.mark.grade("1.3", "sample_gaussian without eps: 100000 draws with mu = 1, sigma = 2", points=1)
def test_sample_draws(student, judge):
    mu, log_var = torch.ones(100, 1000), torch.full((100, 1000), math.log(4.0))
    z = expect_tensor(student.sample_gaussian(mu, log_var), what="sample_gaussian(mu, log_var)",
                      shape=(100, 1000), dtype=torch.float32)
    if not torch.isfinite(z).all():
        fail("sample_gaussian(mu, log_var) returned non-finite values.")
    report = judge.normal_draws_report((z.double() - 1.0) / 2.0)
    where = "100000 draws of N(1, 2^2)"
    if not judge.independent(report):
        fail(f"For {where} the draws are not independent: every entry needs its own eps "
             "(torch.randn_like(mu)), not one eps shared across the batch.")
    if abs(report["mean_z"]) > judge.Z_LIMIT:
        fail(f"For {where} the average is {z.double().mean():.4f}, expected 1 "
             f"(off by {abs(report['mean_z']):.1f} standard errors). eps should have mean 0.")
    if abs(report["var_z"]) > judge.Z_LIMIT:
        fail(f"For {where} the standard deviation is {z.double().std():.4f}, expected 2 = exp(ln 4 / 2). "
             "Scale standard-normal noise by sigma = exp(log_var / 2).")
    if report["ks"] > judge.KS_LIMIT:
        fail(f"For {where} the draws do not look normal (Kolmogorov-Smirnov distance "
             f"{report['ks'] / math.sqrt(z.numel()):.4f}): eps must be standard normal (torch.randn_like).")


SHARED_NOTE = ("\nYour estimates also vary far less from entry to entry than they should, and no constant "
               "factor explains it. Two mistakes do this: entries that share draws (their errors are then all "
               "the same and do not average out), or noise that is not standard normal (torch.rand is uniform "
               "on [0, 1): mean 1/2, variance 1/12).")


def _mean_failure(judge, got, report, kind):
    """The second line of a failed mean: a constant factor when one explains both the average and
    the spread (a missing 2, a sum instead of an average), shared draws when the spread alone is
    too small."""
    factor = judge.scale_factor(got, [1.5], N, kind)
    if factor is not None:
        return "\n" + judge.factor_note(factor, N, kind)
    return "" if report["var_z"] > -judge.Z_LIMIT else SHARED_NOTE


def _estimates(student, fn, theta, n):
    got = expect_tensor(getattr(student, fn)(theta, n), what=f"{fn}(theta, {n})", shape=tuple(theta.shape),
                        dtype=theta.dtype)
    if not torch.isfinite(got).all():
        fail(f"{fn}(theta, {n}) returned non-finite values.")
    return got


# theta = 1.5 in 20000 entries, each its own problem with n = 10 draws: d/dtheta E[x^2] = 2 theta = 3.
THETA = torch.full((20000,), 1.5)
N = 10
WHERE_Q = "theta = 1.5 (20000 entries, n_samples = 10)"


@pytest.mark.grade("1.4", "pathwise estimate of d/dtheta E[x^2] is unbiased: averages to 2 theta = 3", points=1)
def test_pathwise_mean(student, judge):
    got = _estimates(student, "pathwise_grad_quadratic", THETA, N)
    report = judge.estimator_report(got, [1.5], N, "pathwise")
    if abs(report["mean_z"][0]) > judge.Z_LIMIT:
        fail(f"For {WHERE_Q} your estimates average {got.double().mean():.4f}, expected 2 theta = 3 "
             f"(off by {abs(report['mean_z'][0]):.1f} standard errors). With x = theta + eps, "
             "d(x^2)/dtheta = 2x, so average 2 (theta + eps_i)." + _mean_failure(judge, got, report, "pathwise"))


@pytest.mark.grade("1.5", "pathwise estimate has variance 4 / n = 0.4", points=1)
def test_pathwise_variance(student, judge):
    got = _estimates(student, "pathwise_grad_quadratic", THETA, N)
    report = judge.estimator_report(got, [1.5], N, "pathwise")
    if abs(report["var_z"]) > judge.Z_LIMIT:
        fail(f"For {WHERE_Q} the variance of your estimates across entries is {got.double().var():.4f}, "
             f"expected 4 / n = 0.4. Each entry should average 2 (theta + eps_i) over its own n "
             "independent draws (a variance near 0 means no noise, or noise shared between entries).")


@pytest.mark.grade("1.6", "score-function estimate is unbiased: averages to 2 theta = 3", points=1)
def test_score_mean(student, judge):
    got = _estimates(student, "score_function_grad_quadratic", THETA, N)
    report = judge.estimator_report(got, [1.5], N, "score")
    if abs(report["mean_z"][0]) > judge.Z_LIMIT:
        fail(f"For {WHERE_Q} your estimates average {got.double().mean():.4f}, expected 2 theta = 3 "
             f"(off by {abs(report['mean_z'][0]):.1f} standard errors). The score-function estimator "
             "averages f(x_i) * d/dtheta log p(x_i; theta) = x_i^2 (x_i - theta)."
             + _mean_failure(judge, got, report, "score"))


@pytest.mark.grade("1.7", "score-function estimate has variance (theta^4 + 14 theta^2 + 15) / n = 5.15625", points=1)
def test_score_variance(student, judge):
    got = _estimates(student, "score_function_grad_quadratic", THETA, N)
    report = judge.estimator_report(got, [1.5], N, "score")
    if abs(report["var_z"]) > judge.Z_LIMIT:
        fail(f"For {WHERE_Q} the variance of your estimates across entries is {got.double().var():.4f}, "
             "expected (theta^4 + 14 theta^2 + 15) / n = 5.15625, about 13 times the pathwise 0.4. "
             "Use the plain estimator x_i^2 (x_i - theta) with n independent draws per entry, no baseline.")


@pytest.mark.grade("1.8", "pathwise_gradient: x = theta + v, loss = sum x^2, three draws", points=1)
def test_pathwise_gradient_shift(student, child_helpers):
    theta = torch.tensor([1.0, -0.5])
    v = torch.tensor([[0.5, 1.0], [-1.5, 0.0], [0.25, -0.5]])
    out = student.run(child_helpers, "pathwise_case", "shift", theta, v, function="pathwise_gradient").value
    got = expect_tensor(out["value"], what="pathwise_gradient(f, loss, theta, v)", shape=(2,), dtype=torch.float32)
    # grad_theta sum_k (theta_k + v_ik)^2 = 2 (theta + v_i); the average over i is 2 (theta + mean_i v_i)
    expected = torch.tensor([1.5, -2.0 / 3.0])
    where = "f(theta, v) = theta + v, loss(x) = sum_k x_k^2, theta = (1, -0.5), v = [[0.5, 1], [-1.5, 0], [0.25, -0.5]]"
    if torch.allclose(got, 3 * expected, rtol=1e-4):
        fail(f"For {where} you returned the sum of the three gradients; the estimator is their average (1/N).")
    expect_close(got, expected, what="the average gradient", inputs=where, rtol=1e-5, atol=1e-6,
                 hint="(1/N) sum_i grad_theta loss(f(theta, v[i]))")


@pytest.mark.grade("1.9", "pathwise_gradient leaves theta as it was and returns a detached tensor", points=1)
def test_pathwise_gradient_state(student, child_helpers):
    theta = torch.tensor([0.5, -1.0, 2.0])
    v = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    out = student.run(child_helpers, "pathwise_case", "shift", theta, v, function="pathwise_gradient").value
    got = expect_tensor(out["value"], what="pathwise_gradient(f, loss, theta, v)", shape=(3,))
    other = student.run(child_helpers, "pathwise_case", "shift", theta, v + 0.5, function="pathwise_gradient").value
    if isinstance(other["value"], torch.Tensor) and torch.equal(got, other["value"]):
        fail("pathwise_gradient returned the same value for two different sets of draws v: the estimate is "
             "computed from the draws, (1/N) sum_i grad_theta loss(f(theta, v[i])).")
    if out["theta_changed"]:
        fail("pathwise_gradient changed the values of theta in place.")
    if out["theta_requires_grad"]:
        fail("theta arrived with requires_grad=False and left with requires_grad=True: differentiate with "
             "respect to a copy, theta.detach().clone().requires_grad_(True), not theta itself.")
    if out["theta_has_grad"]:
        fail("pathwise_gradient left a .grad on theta; differentiate with respect to a copy of theta.")
    if out["attached"]:
        fail("The returned gradient is still attached to an autograd graph (requires_grad=True or a grad_fn). "
             "Return a plain tensor: .detach() it, or use torch.autograd.grad without create_graph.")
