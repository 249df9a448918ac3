"""Hidden tests for reparameterization: run only in the judge. Exact checks where the
randomness is given (expected values computed in float64 from the formulas); statistical
checks, with the known moments of each estimator, where it is not. Messages never show the
hidden inputs."""
import math

import pytest
import torch

from autograder.checks import expect_close, expect_tensor, fail

HINT_Z = "z = mu + exp(log_var / 2) * eps, with the eps you are given"


def gaussian_inputs(*shape, seed, dtype=torch.float32, lv_range=(-13.0, 20.0), mu_scale=3.0):
    """mu, log_var (within the test domain: sigma >= 1e-3, |log_var| <= 20) and eps."""
    g = torch.Generator().manual_seed(seed)
    mu = (torch.randn(*shape, generator=g, dtype=torch.float64) * mu_scale).to(dtype)
    lo, hi = lv_range
    log_var = (lo + (hi - lo) * torch.rand(*shape, generator=g, dtype=torch.float64)).to(dtype)
    eps = torch.randn(*shape, generator=g, dtype=torch.float64).to(dtype)
    return mu, log_var, eps


def expected_z(mu, log_var, eps):
    return mu.double() + torch.exp(0.5 * log_var.double()) * eps.double()


def z_atol(mu, log_var, eps, rel):
    """Rounding of mu + sigma * eps in the input dtype: proportional to the magnitudes added."""
    return rel * (mu.double().abs() + torch.exp(0.5 * log_var.double()) * eps.double().abs()) + 1e-30


def check_z(got, mu, log_var, eps, rel):
    expected = expected_z(mu, log_var, eps)
    err = (got.double() - expected).abs()
    if not torch.isfinite(got).all():
        fail("sample_gaussian returned non-finite values on inputs within the test domain.")
    if (err > z_atol(mu, log_var, eps, rel)).any():
        variance_scaled = mu.double() + torch.exp(log_var.double()) * eps.double()
        if torch.allclose(got.double(), variance_scaled, rtol=1e-4):
            fail("z = mu + exp(log_var) * eps scales eps by the variance; "
                 "the standard deviation is sigma = exp(log_var / 2).")
        fail(f"z is wrong on {int((err > z_atol(mu, log_var, eps, rel)).sum())} of {err.numel()} entries.\n"
             f"Hint: {HINT_Z}.")


# ----------------------------------------------------------------------------- sample_gaussian, eps given
@pytest.mark.grade("2.1", "sample_gaussian with given eps: batch (float32), wide range of variances", points=2)
def test_sample_given_eps(student):
    mu, log_var, eps = gaussian_inputs(4, 5, 6, seed=101)
    got = expect_tensor(student.sample_gaussian(mu, log_var, eps), what="sample_gaussian(mu, log_var, eps)",
                        shape=(4, 5, 6), dtype=torch.float32)
    check_z(got, mu, log_var, eps, rel=1e-5)


@pytest.mark.grade("2.2", "sample_gaussian with given eps: float64 in, float64 out, to full precision", points=1)
def test_sample_float64(student):
    mu, log_var, eps = gaussian_inputs(7, 3, seed=102, dtype=torch.float64)
    got = expect_tensor(student.sample_gaussian(mu, log_var, eps), what="sample_gaussian(mu, log_var, eps)",
                        shape=(7, 3), dtype=torch.float64)
    check_z(got, mu, log_var, eps, rel=1e-12)


def _grads(student, child_helpers, *args):
    out = student.run(child_helpers, "sample_with_grads", *args, function="sample_gaussian").value
    z = expect_tensor(out["z"], what="sample_gaussian(...)", shape=tuple(args[0].shape), dtype=args[0].dtype)
    if not out["differentiable"]:
        fail("The returned z is not differentiable with respect to mu and log_var (no autograd graph), so "
             "training could not update them. Build z = mu + sigma * eps from torch operations on mu and "
             "log_var: no .detach(), no torch.no_grad(), no .sample(); draw only eps at random.")
    for name in ("mu", "log_var"):
        if out[f"grad_{name}"] is None:
            fail(f"No gradient reaches {name}: z does not depend on it through autograd (.detach()?).")
    return z, out["grad_mu"], out["grad_log_var"]


def _check_grads(z, g_mu, g_lv, expected_lv, atol):
    if not g_mu.any():
        fail("dz/dmu is 0 everywhere: the sample does not move with mu. torch.normal(mu, std) draws without a "
             "path back to its parameters (its gradients are zero); draw eps ~ N(0, I) and compute "
             "mu + sigma * eps.")
    expect_close(g_mu, torch.ones_like(g_mu), what="dz/dmu (each entry of z, w.r.t. its own mu)", rtol=1e-5,
                 atol=1e-6, hint="z = mu + sigma * eps moves one for one with mu")
    if torch.allclose(g_lv.double(), 2 * expected_lv, rtol=1e-4, atol=atol) and expected_lv.abs().max() > 0:
        fail("dz/dlog_var is sigma * eps, twice the right value: sigma = exp(log_var / 2), so "
             "dz/dlog_var = sigma * eps / 2. Did you use sigma = exp(log_var)?")
    if g_lv.abs().max() == 0 and expected_lv.abs().max() > 0:
        fail("dz/dlog_var is 0 everywhere: the noise does not pass through sigma = exp(log_var / 2) in the "
             "graph (torch.normal(mu, std) has zero gradients); compute mu + sigma * eps.")
    expect_close(g_lv, expected_lv, what="dz/dlog_var", rtol=1e-4, atol=atol,
                 hint="dz/dlog_var = exp(log_var / 2) * eps / 2")


@pytest.mark.grade("2.3", "sample_gaussian with given eps: gradients dz/dmu = 1, dz/dlog_var = sigma eps / 2", points=2)
def test_sample_gradients_given_eps(student, child_helpers):
    mu, log_var, eps = gaussian_inputs(6, 8, seed=103, lv_range=(-8.0, 6.0))
    z, g_mu, g_lv = _grads(student, child_helpers, mu, log_var, eps)
    check_z(z, mu, log_var, eps, rel=1e-5)
    expected = 0.5 * torch.exp(0.5 * log_var.double()) * eps.double()
    _check_grads(z, g_mu, g_lv, expected, atol=1e-6 * float(expected.abs().max()))


@pytest.mark.grade("2.4", "sample_gaussian without eps: gradients dz/dmu = 1, dz/dlog_var = (z - mu) / 2", points=2)
def test_sample_gradients_drawn(student, child_helpers):
    mu, log_var, _ = gaussian_inputs(50, 40, seed=104, lv_range=(-6.0, 4.0), mu_scale=1.0)
    z, g_mu, g_lv = _grads(student, child_helpers, mu, log_var)
    # sigma * eps = z - mu, so dz/dlog_var = (z - mu) / 2 whatever eps was drawn
    # (z - mu) loses the rounding of z in its dtype: allow for it
    expected = 0.5 * (z.double() - mu.double())
    _check_grads(z, g_mu, g_lv, expected, atol=1e-6 * float(mu.abs().max() + z.abs().max()))


# ----------------------------------------------------------------------------- sample_gaussian, eps drawn
def _standardized_draws(student, judge, seed):
    mu, log_var, _ = gaussian_inputs(200, 500, seed=seed, lv_range=(-4.0, 3.0), mu_scale=1.0)
    z = expect_tensor(student.sample_gaussian(mu, log_var), what="sample_gaussian(mu, log_var)",
                      shape=(200, 500), dtype=torch.float32)
    if not torch.isfinite(z).all():
        fail("sample_gaussian(mu, log_var) returned non-finite values.")
    again = student.sample_gaussian(mu, log_var)
    if isinstance(again, torch.Tensor) and again.shape == z.shape and torch.equal(again, z):
        fail("sample_gaussian(mu, log_var) returned the same z on two calls with the same mu and log_var: without "
             "eps it must draw fresh noise eps ~ N(0, I) on every call (torch.randn_like(mu)), from torch's "
             "generator as it is (do not seed it yourself).")
    return judge.normal_draws_report((z.double() - mu.double()) / torch.exp(0.5 * log_var.double()))


SHARED = ("\nYour draws are also not independent across the batch (one eps shared by several entries), "
          "which distorts every statistic of the batch.")


def _shared_note(judge, report):
    return "" if judge.independent(report) else SHARED


@pytest.mark.grade("2.5", "sample_gaussian without eps: (z - mu) / sigma has mean 0 and variance 1", points=1)
def test_sample_moments(student, judge):
    report = _standardized_draws(student, judge, seed=105)
    if abs(report["mean_z"]) > judge.Z_LIMIT:
        fail(f"Over 100000 draws, (z - mu) / sigma averages {report['mean_z'] / math.sqrt(1e5):.4f}, "
             f"{abs(report['mean_z']):.1f} standard errors from 0: eps ~ N(0, I) has mean 0."
             + _shared_note(judge, report))
    if abs(report["var_z"]) > judge.Z_LIMIT:
        fail(f"Over 100000 draws, (z - mu) / sigma has standard deviation {report['std']:.4f}, expected 1: "
             "sigma = exp(log_var / 2) times standard-normal eps." + _shared_note(judge, report))


@pytest.mark.grade("2.6", "sample_gaussian without eps: the noise is Gaussian (Kolmogorov-Smirnov test)", points=1)
def test_sample_normality(student, judge):
    report = _standardized_draws(student, judge, seed=106)
    if report["ks"] > judge.KS_LIMIT:
        fail(f"Over 100000 draws, (z - mu) / sigma, centred and scaled, is not normal: its distribution function "
             f"is {report['ks'] / math.sqrt(1e5):.4f} away from the normal one (Kolmogorov-Smirnov), "
             f"{report['ks'] / judge.KS_LIMIT:.1f} times the tolerance. eps must be standard normal "
             "(torch.randn_like, not the uniform torch.rand_like), scaled entry by entry by "
             "sigma = exp(log_var / 2)." + _shared_note(judge, report))


@pytest.mark.grade("2.7", "sample_gaussian without eps: an independent eps for every entry of the batch", points=1)
def test_sample_independence(student, judge):
    report = _standardized_draws(student, judge, seed=107)
    if report["spread"] <= 0.01:
        fail("Every entry of the batch got the same eps: (z - mu) / sigma is one number repeated. Draw eps with "
             "the full shape of mu (torch.randn_like(mu)), one independent draw per entry.")
    if not judge.independent(report):
        axis = "rows of the batch" if abs(report["cols_z"]) > judge.Z_LIMIT else "entries of each row"
        fail(f"The draws are not independent across the {axis}: their sums are far too large, as when one eps "
             "is shared by several entries. Draw eps with the full shape of mu (torch.randn_like(mu)).")


@pytest.mark.grade("2.8", "sample_gaussian does not modify its inputs, and uses the eps it is given", points=1)
def test_sample_no_mutation(student):
    # The engine fails any call that changes a tensor argument in place, naming it; the value
    # must still follow eps (a constant would keep its inputs untouched too).
    mu, log_var, eps = gaussian_inputs(3, 4, seed=108, lv_range=(-2.0, 2.0))
    got = expect_tensor(student.sample_gaussian(mu, log_var, eps), what="sample_gaussian(mu, log_var, eps)",
                        shape=(3, 4))
    other = expect_tensor(student.sample_gaussian(mu, log_var, eps + 1.0), what="sample_gaussian(mu, log_var, eps)",
                          shape=(3, 4))
    if torch.equal(got, other):
        fail("sample_gaussian(mu, log_var, eps) returned the same z for two different eps: z = mu + sigma * eps "
             "must use the eps it is given.")
    expect_tensor(student.sample_gaussian(mu, log_var), what="sample_gaussian(mu, log_var)", shape=(3, 4))


# ----------------------------------------------------------------------------- Monte Carlo estimators
THETAS = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 3.0]
GROUP = 4000  # entries per theta value, each with its own draws
N_HIDDEN = 8
SHAPES = [((3, 4), torch.float32), ((), torch.float64), ((2, 1, 5), torch.float64)]


def _shapes(student, fn):
    for shape, dtype in SHAPES:
        theta = torch.linspace(-1.0, 2.0, math.prod(shape), dtype=dtype).reshape(shape)
        got = expect_tensor(getattr(student, fn)(theta, 5), what=f"{fn}(theta, 5) for theta of shape {shape}",
                            shape=shape, dtype=dtype)
        if not torch.isfinite(got).all():
            fail(f"{fn} returned non-finite values.")
        if shape == SHAPES[0][0]:
            again = getattr(student, fn)(theta, 5)
            if isinstance(again, torch.Tensor) and again.shape == got.shape and torch.equal(again, got):
                fail(f"{fn}(theta, 5) returned the same values on two calls: a Monte Carlo estimate draws fresh "
                     "noise on every call, so its value changes from call to call (an exact formula, or a "
                     "generator you seed yourself, gives the same numbers every time).")


def _grid_estimates(student, fn):
    theta = torch.tensor(THETAS).repeat_interleave(GROUP)
    got = expect_tensor(getattr(student, fn)(theta, N_HIDDEN), what=f"{fn}(theta, n)", shape=tuple(theta.shape),
                        dtype=torch.float32)
    if not torch.isfinite(got).all():
        fail(f"{fn} returned non-finite values.")
    return got


def _check_mean(judge, got, kind, hint):
    report = judge.estimator_report(got, THETAS, N_HIDDEN, kind)
    worst = max(report["mean_z"], key=abs)
    if abs(worst) > judge.Z_LIMIT:
        factor = judge.scale_factor(got, THETAS, N_HIDDEN, kind)
        shared = factor is None and report["var_z"] < -judge.Z_LIMIT
        if factor is not None:
            note = "\n" + judge.factor_note(factor, N_HIDDEN, kind)
        elif shared:
            note = ("\nThey also vary far less from entry to entry than they should, and no constant factor "
                    "explains it. Two mistakes do this: entries that share draws (their errors are then all the "
                    "same and do not average out), or noise that is not standard normal (torch.rand is uniform "
                    "on [0, 1): mean 1/2, variance 1/12).")
        else:
            note = ""
        fail(f"{'Your estimates look biased' if shared else 'Your estimates are biased'}: for one of the test's "
             f"values of theta their average is {abs(worst):.1f} standard errors "
             f"{'above' if worst > 0 else 'below'} 2 theta, the true gradient.\nHint: {hint}" + note)


def _check_variance(judge, report, what, hint):
    if abs(report["var_z"]) > judge.Z_LIMIT:
        fail(f"The variance of your estimates is {report['ratio']:.3g} times {what} "
             f"({abs(report['var_z']):.1f} standard deviations away).\nHint: {hint}")


@pytest.mark.grade("2.9", "pathwise_grad_quadratic: any shape of theta, dtype kept, fresh draws on every call",
                   points=1)
def test_pathwise_shapes(student):
    _shapes(student, "pathwise_grad_quadratic")


@pytest.mark.grade("2.10", "pathwise_grad_quadratic is unbiased for every theta", points=2)
def test_pathwise_unbiased(student, judge):
    _check_mean(judge, _grid_estimates(student, "pathwise_grad_quadratic"), "pathwise",
                "with x = theta + eps, d(x^2)/dtheta = 2x; average 2 (theta + eps_i) over the n draws.")


@pytest.mark.grade("2.11", "pathwise_grad_quadratic has variance 4 / n, independent draws per entry", points=2)
def test_pathwise_variance(student, judge):
    report = judge.estimator_report(_grid_estimates(student, "pathwise_grad_quadratic"), THETAS, N_HIDDEN, "pathwise")
    _check_variance(judge, report, "the pathwise estimator's 4 / n",
                    "a Monte Carlo average of n draws of 2 (theta + eps_i), each entry of theta with its own n "
                    "independent draws. A variance near 0 means no noise (the exact 2 theta is not a Monte Carlo "
                    "estimate) or noise shared between entries; a variance n times too large means one draw "
                    "reused n times.")


@pytest.mark.grade("2.12", "score_function_grad_quadratic: any shape of theta, dtype kept, fresh draws on every "
                           "call", points=1)
def test_score_shapes(student):
    _shapes(student, "score_function_grad_quadratic")


@pytest.mark.grade("2.13", "score_function_grad_quadratic is unbiased for every theta", points=2)
def test_score_unbiased(student, judge):
    _check_mean(judge, _grid_estimates(student, "score_function_grad_quadratic"), "score",
                "the score of N(theta, 1) is d/dtheta log p(x; theta) = x - theta; average "
                "x_i^2 (x_i - theta) over the n draws (the mean of the products, not a product of means).")


@pytest.mark.grade("2.14", "score_function_grad_quadratic has variance (theta^4 + 14 theta^2 + 15) / n", points=2)
def test_score_variance(student, judge):
    report = judge.estimator_report(_grid_estimates(student, "score_function_grad_quadratic"), THETAS, N_HIDDEN,
                                    "score")
    _check_variance(judge, report, "the score-function estimator's (theta^4 + 14 theta^2 + 15) / n",
                    "the plain estimator averages x_i^2 (x_i - theta) over n independent draws x_i ~ N(theta, 1) "
                    "per entry, with no baseline; its variance is far above the pathwise 4 / n.")


# ----------------------------------------------------------------------------- pathwise_gradient
def _pathwise(student, child_helpers, case, theta, v):
    out = student.run(child_helpers, "pathwise_case", case, theta, v, function="pathwise_gradient").value
    got = expect_tensor(out["value"], what="pathwise_gradient(f, loss, theta, v)", shape=tuple(theta.shape),
                        dtype=theta.dtype)
    if not torch.isfinite(got).all():
        fail("pathwise_gradient returned non-finite values.")
    return got, out


def expected_pathwise(child_helpers, case, theta, v):
    """The estimator computed draw by draw in float64, with the f and loss the child uses
    (judge side only: the student bundle holds no code that computes an answer)."""
    f, loss = child_helpers.in_judge().CASES[case]
    total = torch.zeros_like(theta, dtype=torch.float64)
    for v_i in v.double():
        t = theta.detach().double().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(loss(f(t, v_i)), t)
        total += g
    return total / len(v)


def _check_pathwise(child_helpers, got, case, theta, v, rtol, atol):
    expected = expected_pathwise(child_helpers, case, theta, v)
    if torch.allclose(got.double(), len(v) * expected, rtol=rtol, atol=atol) and len(v) > 1:
        fail("You returned the sum of the N per-draw gradients; the estimator is their average (1/N).")
    at_mean = expected_pathwise(child_helpers, case, theta, v.double().mean(0, keepdim=True))
    if torch.allclose(got.double(), at_mean, rtol=rtol, atol=atol):
        fail("You returned the gradient at the average draw, grad loss(f(theta, mean_i v[i])); the estimator "
             "averages the gradients, (1/N) sum_i grad loss(f(theta, v[i])), which differs when f or the loss "
             "is not linear.")
    first = expected_pathwise(child_helpers, case, theta, v[:1])
    if torch.allclose(got.double(), first, rtol=rtol, atol=atol):
        fail("You returned the gradient for the first draw only; average over all N draws.")
    expect_close(got, expected, what="the average gradient (1/N) sum_i grad_theta loss(f(theta, v[i]))",
                 rtol=rtol, atol=atol)


@pytest.mark.grade("2.15", "pathwise_gradient: reparameterized Gaussian x = mu + exp(log_sigma) v, "
                           "non-quadratic loss (float32)", points=2)
def test_pathwise_gradient_scale(student, child_helpers):
    g = torch.Generator().manual_seed(115)
    theta = torch.tensor([0.3, -0.4])
    v = torch.randn(64, 5, generator=g)
    got, _ = _pathwise(student, child_helpers, "scale", theta, v)
    _check_pathwise(child_helpers, got, "scale", theta, v, rtol=1e-4, atol=1e-5)


@pytest.mark.grade("2.16", "pathwise_gradient: matrix parameters x = tanh(v W) (float64)", points=2)
def test_pathwise_gradient_matrix(student, child_helpers):
    g = torch.Generator().manual_seed(116)
    theta = torch.randn(4, 3, generator=g, dtype=torch.float64) * 0.7
    v = torch.randn(20, 4, generator=g, dtype=torch.float64)
    got, _ = _pathwise(student, child_helpers, "linear", theta, v)
    _check_pathwise(child_helpers, got, "linear", theta, v, rtol=1e-9, atol=1e-12)


@pytest.mark.grade("2.17", "pathwise_gradient leaves theta untouched and returns a detached tensor", points=1)
def test_pathwise_gradient_state(student, child_helpers):
    g = torch.Generator().manual_seed(117)
    theta = torch.randn(3, 2, generator=g, dtype=torch.float64)
    v = torch.randn(7, 3, generator=g, dtype=torch.float64)
    got, out = _pathwise(student, child_helpers, "linear", theta, v)
    other, _ = _pathwise(student, child_helpers, "linear", theta, v + 0.5)
    if torch.equal(got, other):
        fail("pathwise_gradient returned the same value for two different sets of draws v: the estimate is "
             "computed from the draws, (1/N) sum_i grad_theta loss(f(theta, v[i])).")
    if out["theta_changed"]:
        fail("pathwise_gradient changed the values of theta in place.")
    if out["theta_requires_grad"]:
        fail("theta arrived with requires_grad=False and left with requires_grad=True: differentiate with "
             "respect to a copy, theta.detach().clone().requires_grad_(True).")
    if out["theta_has_grad"]:
        fail("pathwise_gradient left a .grad on theta; differentiate with respect to a copy of theta.")
    if out["attached"]:
        fail("The returned gradient is still attached to an autograd graph (requires_grad=True or a grad_fn). "
             "Return a plain tensor: .detach() it, or use torch.autograd.grad without create_graph.")
