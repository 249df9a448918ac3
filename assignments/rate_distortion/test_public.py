"""Public tests for rate_distortion: students run these with `autograder check`.

Expected values are literals worked out by hand from the definitions (never taken from the
reference solution), and the beta sweep is judged by the physics of the trade-off only, so
this file can ship in the student bundle.
"""
import math

import pytest
import torch

from autograder.checks import expect_close, expect_tensor, fail
from autograder.data import load_digits_binary

LN2 = math.log(2.0)

# rate: three examples with two latents each, KL = 1/2 sum_i (mu_i^2 + sigma_i^2 - 1 - log sigma_i^2)
MU = torch.tensor([[1.0, 2.0], [0.0, 0.0], [0.0, 1.0]])
LOG_VAR = torch.tensor([[0.0, 0.0], [LN2, 0.0], [0.0, 0.0]])
KL_ROWS = (2.5,  # 1/2 (1 + 4)
           0.5 * (1 - LN2),  # 1/2 ((2 - 1 - ln 2) + 0) = 0.1534...
           0.5)  # 1/2 (0 + 1)
RATE = sum(KL_ROWS) / 3  # 1.05110...

# distortion: two examples of four pixels
X = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
X_HAT = torch.tensor([[0.5, 0.5, 0.5, 0.5], [0.0, 1.0, 1.0, -1.0]])
L2 = (1.0 + 5.0) / 2  # rows: 4 * 0.25 = 1; 0 + 1 + 0 + 4 = 5
L1 = (2.0 + 3.0) / 2  # rows: 4 * 0.5 = 2; 0 + 1 + 0 + 2 = 3
LOGITS = torch.tensor([[0.0, 0.0, 2.0, -2.0], [0.0, 0.0, 0.0, 0.0]])
X_BIN = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]])
# row 1: -log sigmoid(0) twice, -log sigmoid(2) for x = 1, -log(1 - sigmoid(-2)) = -log sigmoid(2) for x = 0;
# row 2: four pixels at logit 0, each -log(1/2)
BERNOULLI = (2 * LN2 + 2 * math.log1p(math.exp(-2.0)) + 4 * LN2) / 2


@pytest.mark.grade("1.1", "rate is 0 when q(z|x) is the prior N(0, I), and positive when it is not", points=1)
def test_rate_zero(student):
    zeros = torch.zeros(4, 3)
    got = expect_tensor(student.rate(zeros, zeros), what="rate(mu, log_var)", shape=(), dtype=torch.float32)
    expect_close(got, 0.0, what="R", inputs="mu = 0 and log_var = 0 (shape (4, 3))",
                 hint="KL(q || p) = 0 when q = p: the rate of an encoder that ignores x is 0")
    ones = torch.ones(4, 3)
    away = expect_tensor(student.rate(ones, zeros), what="rate(mu, log_var)", shape=(), dtype=torch.float32)
    if not float(away) > 1e-3:
        fail(f"rate(mu, log_var) with mu = 1 and log_var = 0 (shape (4, 3)) returned {float(away):.4g}, but "
             "there q(z|x) = N(1, I) is not the prior, and a KL divergence is zero only when the two "
             "distributions are equal: the rate must be positive (here each example's KL is 1/2 * 3 * 1^2).")


@pytest.mark.grade("1.2", "rate on a small batch, worked by hand", points=1)
def test_rate_by_hand(student):
    got = expect_tensor(student.rate(MU, LOG_VAR), what="rate(mu, log_var)", shape=(), dtype=torch.float32)
    expect_close(got, RATE, what="R", inputs="mu = [[1, 2], [0, 0], [0, 1]], log_var = [[0, 0], [ln 2, 0], "
                 "[0, 0]] (per-example KL 2.5, (1 - ln 2) / 2, 0.5)",
                 hint="KL = 1/2 sum_i (mu_i^2 + exp(log_var_i) - 1 - log_var_i), summed over the latents "
                      "(last dim), then averaged over the batch")


@pytest.mark.grade("1.3", "l2 distortion on a small batch: squared error summed over pixels", points=1)
def test_l2_by_hand(student):
    got = expect_tensor(student.distortion(X, X_HAT, "l2"), what='distortion(x, x_hat, "l2")', shape=(),
                        dtype=torch.float32)
    expect_close(got, L2, what="D (l2)", inputs="x = [[1, 0, 1, 0], [0, 0, 1, 1]], "
                 "x_hat = [[0.5, 0.5, 0.5, 0.5], [0, 1, 1, -1]] (per-example 1 and 5)",
                 hint="||x - x_hat||^2 is the squared norm: sum the squares over the pixels, take no square "
                      "root, then average over the batch")


@pytest.mark.grade("1.4", "l1 distortion on a small batch: absolute error summed over pixels", points=1)
def test_l1_by_hand(student):
    got = expect_tensor(student.distortion(X, X_HAT, "l1"), what='distortion(x, x_hat, "l1")', shape=(),
                        dtype=torch.float32)
    expect_close(got, L1, what="D (l1)", inputs="x = [[1, 0, 1, 0], [0, 0, 1, 1]], "
                 "x_hat = [[0.5, 0.5, 0.5, 0.5], [0, 1, 1, -1]] (per-example 2 and 3)",
                 hint="||x - x_hat||_1 = sum_j |x_j - x_hat_j| over the pixels, then the batch mean")


@pytest.mark.grade("1.5", "Bernoulli distortion -log p(x|z) with x_hat as logits (the default kind)", points=1)
def test_bernoulli_by_hand(student):
    where = "x = [[1, 0, 1, 0], [0, 1, 1, 0]], logits = [[0, 0, 2, -2], [0, 0, 0, 0]]"
    hint = ("-log p(x|z) = -sum_j [x_j log sigmoid(l_j) + (1 - x_j) log(1 - sigmoid(l_j))] with l the logits; "
            "F.binary_cross_entropy_with_logits(..., reduction='none') then sum over pixels, mean over the batch")
    got = expect_tensor(student.distortion(X_BIN, LOGITS), what="distortion(x, logits)", shape=(),
                        dtype=torch.float32)
    expect_close(got, BERNOULLI, what="D (bernoulli, default kind)", inputs=where, hint=hint)
    got = expect_tensor(student.distortion(X_BIN, LOGITS, kind="bernoulli"),
                        what='distortion(x, logits, kind="bernoulli")', shape=())
    expect_close(got, BERNOULLI, what="D (bernoulli)", inputs=where, hint=hint)


def digits() -> torch.Tensor:
    images, _ = load_digits_binary()
    return torch.from_numpy(images)


@pytest.mark.grade("1.6", "beta_sweep returns one (beta, R, D) per beta, in the order given", points=1)
def test_sweep_form(student, device, judge):
    betas = [2.0, 0.5, 1.0]
    result = student.call("beta_sweep", digits()[:256], betas, epochs=1, z_dim=2, device=device, timeout=120)
    points = judge.read_points(result.value, betas, what="beta_sweep(data[:256], [2.0, 0.5, 1.0], epochs=1, z_dim=2)")
    unphysical = judge.physics_problem(points)
    if unphysical:
        fail(unphysical + "\n\n" + judge.table(points))


@pytest.mark.grade("1.7", "beta_sweep on betas [0.25, 1, 4]: R falls and D rises as beta grows, and each "
                          "model is the best of the three on its own loss D + beta * R", points=2)
def test_sweep_small_vs_large_beta(student, device, judge, config):
    sweep = config["sweep"]
    betas = [float(b) for b in sweep["public_betas"]]
    images = digits()
    result = student.call("beta_sweep", images, betas, epochs=int(sweep["epochs"]), z_dim=int(sweep["z_dim"]),
                          device=device, timeout=float(sweep["public_timeout"]))
    points = judge.read_points(result.value, betas, what=f"beta_sweep(data, {betas}, epochs={sweep['epochs']})")
    bounds = judge.data_bounds(images.numpy())
    for problem in (judge.trend_problem(points, "R", sweep, bounds), judge.trend_problem(points, "D", sweep, bounds),
                    judge.optimality_problem(points, bounds, sweep)):
        if problem:
            fail(problem + "\n\n" + judge.table(points))
