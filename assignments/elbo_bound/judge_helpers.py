"""Judge-side helpers for elbo_bound: model makers and the statistics of Monte Carlo checks.

Not a reference solution (no function of the assignment is computed here); shipped with the
public tests.

The random functions (``elbo_monte_carlo``, ``iwae_bound``) are judged by statistics over many
calls, made one after another in the child: nothing depends on how, or in which order, the
student draws the random numbers, nor on whether the rows of one batch share their draws.
"""
from __future__ import annotations

import math

import torch

from autograder.checks import expect_tensor, fail

Z_LIMIT = 5.0  # z-tests at 5 standard errors

# The public model, small enough to do by hand:
#   d = 2, k = 1, W = (1, 0)^T, b = (0, 1/2), sigma = 1/2, x = (1, 1), so x - b = (1, 1/2).
#   C = W W^T + sigma^2 I = diag(5/4, 1/4), (x - b)^T C^{-1} (x - b) = 4/5 + 1 = 9/5:
#   log p(x) = -log 2pi - (1/2) log(5/16) - 9/10.
#   Posterior precision 1 + 1/sigma^2 = 5: p(z|x) = N(4/5, 1/5).
#   q = N(0, 1) (the prior): E_q||x - b - W z||^2 = 5/4 + 1 = 9/4, so
#   ELBO = -log(2 pi sigma^2) - (9/4) / (2 sigma^2) - 0 = -log 2pi + 2 log 2 - 9/2,
#   and the gap KL(N(0, 1) || N(4/5, 1/5)) = (1/2)(5 + 5 (4/5)^2 - 1 - log 5) = 18/5 - (1/2) log 5.
LOG_P_SMALL = -math.log(2 * math.pi) + 2 * math.log(2) - 0.5 * math.log(5) - 0.9
POSTERIOR_MEAN_SMALL = 0.8
POSTERIOR_VAR_SMALL = 0.2
ELBO_PRIOR_SMALL = -math.log(2 * math.pi) + 2 * math.log(2) - 4.5
GAP_PRIOR_SMALL = 3.6 - 0.5 * math.log(5)
LOG_PRIOR_PRIOR_SMALL = -0.5 * math.log(2 * math.pi) - 0.5  # E_q[log p(z)] = E_q[log q(z|x)] at q = p(z)
SMALL_WHERE = "the model d = 2, k = 1, W = (1, 0)^T, b = (0, 1/2), sigma = 1/2, x = (1, 1)"
# q = N(1, 1/4), near the posterior N(4/5, 1/5), where the KL to the prior is not small:
#   x - b - W mu = (0, 1/2) and v ||W||^2 = 1/4, so E_q[log p(x|z)] = -log(pi/2) - (1/4 + 1/4) / (2 sigma^2)
#   = -log(pi/2) - 1; KL(q || N(0, 1)) = (1/2)(1/4 + 1 - 1 - log(1/4)) = 1/8 + log 2; the ELBO is their
#   difference, -log pi - 9/8. The parts of log p(x, z) - log q(z|x) on average: E_q[log p(z)] =
#   -(1/2) log 2pi - (1/2)(1 + 1/4), E_q[log q(z|x)] = -(1/2) log(2 pi / 4) - 1/2.
Q_NEAR_SMALL = (1.0, 0.25)  # mean and variance
ELBO_NEAR_SMALL = -math.log(math.pi) - 9 / 8
EXPECTED_LOG_LIK_NEAR_SMALL = -math.log(math.pi / 2) - 1
KL_NEAR_SMALL = 1 / 8 + math.log(2)
LOG_PRIOR_NEAR_SMALL = -0.5 * math.log(2 * math.pi) - 0.625
LOG_Q_NEAR_SMALL = -0.5 * math.log(math.pi / 2) - 0.5


def small_model(batch: int = 1, dtype=torch.float64):
    """The public model (see above); ``x`` repeated ``batch`` times."""
    W = torch.tensor([[1.0], [0.0]], dtype=dtype)
    b = torch.tensor([0.0, 0.5], dtype=dtype)
    x = torch.tensor([[1.0, 1.0]], dtype=dtype).repeat(batch, 1)
    return x, W, b, 0.5


def mean_and_se(values: torch.Tensor) -> tuple[float, float]:
    """Sample mean and its standard error."""
    v = values.double().flatten()
    return float(v.mean()), float(v.std() / math.sqrt(v.numel()))


def which_slip(mean: float, se: float, slips: dict[str, float]) -> str:
    """The explanation (a key of ``slips``) whose expected value ``mean`` matches within
    ``Z_LIMIT`` standard errors (the closest when several do), or "" when none does."""
    close = [(abs(mean - value), text) for text, value in slips.items() if abs(mean - value) <= Z_LIMIT * se]
    return " " + min(close)[1] if close else ""


def random_model(d: int, k: int, sigma: float, *, seed: int, batch: int = 1, dtype=torch.float64,
                 orthogonal: bool = False):
    """A random linear-Gaussian model and ``batch`` data points drawn from it."""
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(d, k, generator=g, dtype=torch.float64)
    if orthogonal:  # orthogonal columns with different norms: the posterior covariance is diagonal
        q, _ = torch.linalg.qr(W)
        W = q * torch.linspace(0.5, 2.0, k, dtype=torch.float64)
    b = torch.randn(d, generator=g, dtype=torch.float64)
    z = torch.randn(batch, k, generator=g, dtype=torch.float64)
    x = z @ W.T + b + sigma * torch.randn(batch, d, generator=g, dtype=torch.float64)
    return x.to(dtype), W.to(dtype), b.to(dtype), sigma


def random_q(batch: int, k: int, *, seed: int, dtype=torch.float64, spread: float = 1.0):
    """Random approximate posteriors: means of scale ``spread``, log-variances of scale spread / 2."""
    g = torch.Generator().manual_seed(seed)
    mu = spread * torch.randn(batch, k, generator=g, dtype=torch.float64)
    log_var = 0.5 * spread * torch.randn(batch, k, generator=g, dtype=torch.float64)
    return mu.to(dtype), log_var.to(dtype)


def repeat_rows(rows: int, *tensors: torch.Tensor) -> list[torch.Tensor]:
    """Each row of each tensor repeated ``rows`` times in a row: case g fills rows g*rows .. (g+1)*rows - 1."""
    return [t.repeat_interleave(rows, dim=0) for t in tensors]


def batch_draws(student, child_helpers, name: str, args: list, *, groups: int, rows: int, what: str,
                dtype: torch.dtype | None = None) -> torch.Tensor:
    """``rows`` independent estimates for each of ``groups`` cases, as a float64 tensor of
    shape ``(groups, rows)``. ``args`` hold each case repeated ``rows`` times (see
    ``repeat_rows``); the judge keeps one row per case and calls the student's function
    ``rows`` times in a row in the child (``repeat`` of ``child_helpers``, the fixture), so
    nothing depends on how the function draws its noise across the rows of one batch.

    Fails (with a message that teaches) on a wrong shape or dtype, non-finite values, or
    when every call returns the same values (not a Monte Carlo estimate)."""
    firsts = [a[::rows] if isinstance(a, torch.Tensor) and a.dim() >= 1 and a.shape[0] == groups * rows else a
              for a in args]
    result = student.run(child_helpers, "repeat", name, firsts, rows, function=name, timeout=120).value
    if tuple(result["shape"]) != (groups,):
        fail(f"{what} should return one estimate per row of the batch, shape ({groups},); it returned shape "
             f"{tuple(result['shape'])}.")
    if dtype is not None and result["dtype"] != str(dtype).replace("torch.", ""):
        fail(f"{what} should keep the input's dtype {dtype}, but returned {result['dtype']}.")
    draws = expect_tensor(result["values"], what=what, shape=(rows, groups)).T.contiguous()
    if not torch.isfinite(draws).all():
        bad = int((~torch.isfinite(draws)).sum())
        fail(f"{what} returned {bad} non-finite value(s) (inf or NaN) out of {groups * rows}: every "
             "estimate must be a finite number.")
    if (draws == draws[:, :1]).all(dim=1).any():
        fail(f"{what}: every call returns exactly the same values. An estimate from random draws "
             "z ~ q(z|x) must vary from call to call; draw fresh noise every time.")
    return draws
