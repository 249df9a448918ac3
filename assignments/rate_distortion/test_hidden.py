"""Hidden tests for rate_distortion: run only in the judge. Expected values of `rate` and
`distortion` come from the reference solution in float64; the beta sweep is judged by the
physics of the trade-off (judge_helpers.py): against itself and against bounds fixed by the data,
with the noise tolerances of assignment.toml, never against the reference's numbers (students
choose their own model and training). Messages never show the hidden tensors."""
import math

import pytest
import torch

from autograder.checks import GradingFailure, expect_close, expect_tensor, fail
from autograder.data import load_digits_binary


def gaussian_params(batch, z_dim, *, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    mu = 1.5 * torch.randn(batch, z_dim, generator=g, dtype=torch.float64)
    log_var = torch.empty(batch, z_dim, dtype=torch.float64).uniform_(-4.0, 3.0, generator=g)
    return mu.to(dtype), log_var.to(dtype)


def images_and_logits(batch, x_dim, *, seed, scale=3.0, clip=8.0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(batch, x_dim, generator=g, dtype=torch.float64) < 0.4).to(dtype)
    logits = (scale * torch.randn(batch, x_dim, generator=g, dtype=torch.float64)).clamp(-clip, clip)
    return x, logits.to(dtype)


def reals(batch, x_dim, *, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, x_dim, generator=g, dtype=torch.float64)
    x_hat = torch.randn(batch, x_dim, generator=g, dtype=torch.float64)
    return x.to(dtype), x_hat.to(dtype)


def near(got: float, target: float, rtol: float = 1e-3) -> bool:
    return abs(got - target) <= rtol * abs(target) + 1e-6


def rate_hint(got: float, expected: float, batch: int, z_dim: int) -> str:
    """Names the usual mistake behind a wrong rate, from how far off it is."""
    if near(got, batch * expected):
        return "It is the batch size times too large: average the per-example KL over the batch, do not sum it."
    if near(got, 2 * expected):
        return "It is twice too large: KL = 1/2 sum_i (mu_i^2 + sigma_i^2 - 1 - log sigma_i^2) (mind the 1/2)."
    if near(got, expected / z_dim):
        return ("It is z_dim times too small: sum the KL over the latent dimensions (it is the KL of the whole "
                "vector z), then average over the batch.")
    return ("KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_i (mu_i^2 + sigma_i^2 - 1 - log sigma_i^2) with "
            "sigma_i^2 = exp(log_var_i) (log_var is the log of the variance, not of the standard deviation).")


def distortion_hint(got: float, expected: float, x_dim: int, kind: str) -> str:
    if near(got, expected / x_dim):
        return ("It is x_dim times too small: sum over the pixels of each example (the last dimension), then "
                "average over the batch; do not average over the pixels.")
    return {
        "bernoulli": ("-log p(x|z) = -sum_j [x_j log sigmoid(l_j) + (1 - x_j) log(1 - sigmoid(l_j))] where x_hat "
                      "holds the logits l (any real numbers), not probabilities."),
        "l2": "||x - x_hat||^2 = sum_j (x_j - x_hat_j)^2: the squared norm, with no square root and no sigmoid.",
        "l1": "||x - x_hat||_1 = sum_j |x_j - x_hat_j|: absolute values, not squares.",
    }[kind]


# ----------------------------------------------------------------------------- rate
@pytest.mark.grade("2.1", "rate: random batch (float32), KL summed over latents, averaged over the batch",
                   points=2)
def test_rate_batch(student, reference):
    mu, log_var = gaussian_params(16, 8, seed=1)
    got = expect_tensor(student.rate(mu, log_var), what="rate(mu, log_var)", shape=(), dtype=torch.float32)
    expected = reference.rate(mu.double(), log_var.double())
    try:
        expect_close(got, expected, what="R", rtol=1e-4, atol=1e-5)
    except GradingFailure as failure:
        fail(f"{failure} {rate_hint(float(got), float(expected), 16, 8)}")


@pytest.mark.grade("2.2", "rate: float64 in, float64 out, to full precision", points=1)
def test_rate_float64(student, reference):
    mu, log_var = gaussian_params(5, 3, seed=2, dtype=torch.float64)
    got = expect_tensor(student.rate(mu, log_var), what="rate(mu, log_var)", shape=(), dtype=torch.float64)
    expected = reference.rate(mu, log_var)
    try:
        expect_close(got, expected, what="R", rtol=1e-10, atol=1e-12)
    except GradingFailure as failure:
        fail(f"{failure} {rate_hint(float(got), float(expected), 5, 3)}")


def as_number(value, what: str) -> float:
    """A 0-dim tensor's value (the other tests judge the value itself)."""
    return float(expect_tensor(value, what=what, shape=()))


@pytest.mark.grade("2.3", "rate and distortion leave their inputs unchanged (and compute from them)", points=1)
def test_no_mutation(student):
    # The engine fails any call that changes a tensor argument; this test makes sure both functions are
    # called on each kind, and that they compute something from their inputs (a constant changes nothing).
    mu, log_var = gaussian_params(4, 3, seed=3)
    call = student.call("rate", mu, log_var)
    if call.mutated:
        fail("rate changed mu or log_var in place; compute on new tensors instead.")
    at_prior = as_number(student.call("rate", torch.zeros(4, 3), torch.zeros(4, 3)).value, "rate(mu, log_var)")
    if as_number(call.value, "rate(mu, log_var)") == at_prior:
        fail("rate returned the same value for a random batch as for mu = 0 and log_var = 0: it does not "
             "compute the KL from its inputs.")
    x, _ = images_and_logits(4, 6, seed=4)
    x_hat = torch.linspace(0.1, 0.9, 24).reshape(4, 6)  # valid logits, and in (0, 1) for l1 / l2
    for kind in ("bernoulli", "l2", "l1"):
        call = student.call("distortion", x, x_hat, kind)
        if call.mutated:
            fail(f'distortion(x, x_hat, "{kind}") changed x or x_hat in place; compute on new tensors instead.')
        other = student.call("distortion", x, 0.5 * x_hat.flip(0) + 0.2, kind)  # still in (0, 1)
        what = f'distortion(x, x_hat, "{kind}")'
        if as_number(call.value, what) == as_number(other.value, what):
            fail(f'{what} returned the same value for two different x_hat: it does not compute the distortion '
                 "from its inputs.")


# ----------------------------------------------------------------------------- distortion
@pytest.mark.grade("2.4", "distortion: Bernoulli -log p(x|z) from logits, random batch (float32)", points=2)
def test_bernoulli_batch(student, reference):
    x, logits = images_and_logits(32, 64, seed=5)
    got = expect_tensor(student.distortion(x, logits), what="distortion(x, logits)", shape=(), dtype=torch.float32)
    expected = reference.distortion(x.double(), logits.double())
    try:
        expect_close(got, expected, what="D (bernoulli)", rtol=1e-4, atol=1e-4)
    except GradingFailure as failure:
        fail(f"{failure} {distortion_hint(float(got), float(expected), 64, 'bernoulli')}")


@pytest.mark.grade("2.5", "distortion: Bernoulli in float64, to full precision", points=1)
def test_bernoulli_float64(student, reference):
    x, logits = images_and_logits(6, 10, seed=6, scale=4.0, clip=10.0, dtype=torch.float64)
    got = expect_tensor(student.distortion(x, logits, "bernoulli"), what='distortion(x, logits, "bernoulli")',
                        shape=(), dtype=torch.float64)
    expected = reference.distortion(x, logits, "bernoulli")
    try:
        expect_close(got, expected, what="D (bernoulli)", rtol=1e-9, atol=1e-10)
    except GradingFailure as failure:
        fail(f"{failure} {distortion_hint(float(got), float(expected), 10, 'bernoulli')}")


@pytest.mark.parametrize("kind", [
    pytest.param("l2", marks=pytest.mark.grade("2.6", "distortion: l2, the squared error summed over pixels",
                                                      points=2)),
    pytest.param("l1", marks=pytest.mark.grade("2.7", "distortion: l1, the absolute error summed over pixels",
                                                      points=2)),
])
def test_lp_distortion(student, reference, kind):
    x, x_hat = reals(12, 20, seed=7 if kind == "l2" else 8)
    got = expect_tensor(student.distortion(x, x_hat, kind), what=f'distortion(x, x_hat, "{kind}")', shape=(),
                        dtype=torch.float32)
    expected = reference.distortion(x.double(), x_hat.double(), kind)
    try:
        expect_close(got, expected, what=f"D ({kind})", rtol=1e-4, atol=1e-5)
    except GradingFailure as failure:
        fail(f"{failure} {distortion_hint(float(got), float(expected), 20, kind)}")


# ----------------------------------------------------------------------------- beta sweep
@pytest.fixture(scope="module")
def sweep(student, device, judge, config):
    """Runs the student's beta_sweep once (in the child) for tests 2.8-2.11; returns the checked
    points, or the failure every one of those tests then reports."""
    settings = config["sweep"]
    betas = [float(b) for b in settings["betas"]]
    images, _ = load_digits_binary()
    data = torch.from_numpy(images)
    try:
        result = student.call("beta_sweep", data, betas, epochs=int(settings["epochs"]), z_dim=int(settings["z_dim"]),
                              device=device, timeout=float(settings["timeout"]))
        points = judge.read_points(result.value, betas, what="beta_sweep(data, betas, ...)")
    except Exception as exc:  # a student failure or a malformed result: every sweep test reports it
        return exc
    return points, judge.data_bounds(images)


def sweep_points(sweep):
    if isinstance(sweep, Exception):
        raise sweep
    return sweep


def with_table(judge, problem: str, points, bounds: dict) -> str:
    return f"{problem}\n\n{judge.report(points, bounds['entropy'])}"


@pytest.mark.grade("2.8", "beta_sweep: every R >= 0 (a KL), every D > 0 (a negative log-likelihood) and "
                          "D + R >= H (the data's entropy)", points=1)
def test_sweep_physical(student, sweep, feedback, judge, config):
    points, bounds = sweep_points(sweep)
    feedback.add(judge.report(points, bounds["entropy"]))  # the curve, shown whether the test passes or not
    png = judge.plot_png(points, bounds["entropy"])
    if png is not None:
        feedback.image("rate-distortion.png", png, "The rate-distortion plane of your beta sweep")
    problem = judge.physics_problem(points, bounds["entropy"], float(config["sweep"]["noise_nats"]))
    if problem:
        fail(with_table(judge, problem, points, bounds))


@pytest.mark.grade("2.9", "beta_sweep: the rate R falls as beta grows", points=3)
def test_sweep_rate_falls(student, sweep, judge, config):
    points, bounds = sweep_points(sweep)
    problem = judge.trend_problem(points, "R", config["sweep"], bounds)
    if problem:
        fail(with_table(judge, problem, points, bounds))


@pytest.mark.grade("2.10", "beta_sweep: the distortion D rises as beta grows", points=3)
def test_sweep_distortion_rises(student, sweep, judge, config):
    points, bounds = sweep_points(sweep)
    problem = judge.trend_problem(points, "D", config["sweep"], bounds)
    if problem:
        fail(with_table(judge, problem, points, bounds))


@pytest.mark.grade("2.11", "beta_sweep: each model has the lowest D + beta * R, its own loss, of the sweep, "
                           "and is no worse on it than a model that ignores z", points=2)
def test_sweep_own_loss(student, sweep, judge, config):
    points, bounds = sweep_points(sweep)
    problem = judge.optimality_problem(points, bounds, config["sweep"])
    if problem:
        fail(with_table(judge, problem, points, bounds))
