"""Hidden tests for differential_entropy: run only in the judge. Expected values come from the
reference solution evaluated in float64 (the closed forms in float64 here where that is clearer);
every call checks that the inputs were left unchanged. Messages never show the hidden inputs."""
import math

import pytest
import torch

from autograder.checks import as_float, expect_close, expect_tensor, expect_tuple, fail

F64, F32 = torch.float64, torch.float32
LN2 = math.log(2)


def call(student, fn, *args):
    """Call ``fn`` and fail if it changed any of its tensor arguments in place."""
    result = student.call(fn, *args)
    if result.mutated:
        fail(f"{fn} changed one of its inputs in place; compute on new tensors instead "
             "(e.g. r = y - y_hat, not y -= y_hat; sigma.log(), not sigma.log_()).")
    return result.value


def f64(value):
    """Numbers and tensors as float64 tensors, so that comparisons keep every digit."""
    return torch.as_tensor(value, dtype=F64)


def matches(got, alternative, expected):
    """``got`` is the ``alternative`` (a known mistake), clearly closer to it than to ``expected``."""
    got, alternative, expected = f64(got), f64(alternative), f64(expected)
    if got.shape != alternative.shape:
        return False
    err = float((got - alternative).abs().max())
    return err <= 1e-4 * (1 + float(alternative.abs().max())) and err < 0.05 * float((alternative - expected).abs().max())


def gen(seed):
    return torch.Generator().manual_seed(seed)


def log_uniform(shape, low, high, seed, dtype=F64):
    u = torch.rand(*shape, generator=gen(seed), dtype=F64)
    return torch.exp(math.log(low) + u * (math.log(high) - math.log(low))).to(dtype)


# ----------------------------------------------------------------------------- differential entropy
def entropy_mistake(got, expected, sigma):
    expected = expected.double()
    if matches(got, expected - 0.5 * LN2, expected):
        return ("Every value is (1/2) ln 2 too low: the normaliser 1/(sqrt(pi) sigma) of the lecture slide. "
                "The Gaussian density has 1/(sqrt(2 pi) sigma), so h = ln sigma + (1/2) ln(2 pi) + 1/2.")
    if matches(got, expected / LN2, expected):
        return "The values are in bits (log base 2); return nats."
    if matches(got, expected + sigma.double().log(), expected):
        return "You used ln(sigma^2) where h has ln sigma: h = (1/2) ln(2 pi e sigma^2) = ln sigma + (1/2) ln(2 pi e)."
    if matches(got, expected - 0.5, expected):
        return "Every value is 1/2 too low: the expectation E[x^2 / (2 sigma^2)] = 1/2 is part of h."
    return None


@pytest.mark.grade("2.1", "gaussian_entropy: float64, sigma from 1e-3 to 1e3 (negative and positive entropies)",
                   points=2)
def test_entropy_float64(student, reference):
    sigma = log_uniform((5, 4), 1e-3, 1e3, seed=1)
    got = expect_tensor(call(student, "gaussian_entropy", sigma), what="gaussian_entropy(sigma)", shape=(5, 4),
                        dtype=F64)
    expected = reference.gaussian_entropy(sigma)
    problem = entropy_mistake(got, expected, sigma)
    if problem:
        fail(problem)
    expect_close(got, expected, what="h(N(0, sigma^2))", rtol=1e-10, atol=1e-10)


@pytest.mark.grade("2.2", "gaussian_entropy: float32 in, float32 out, shape (2, 3, 4) kept", points=1)
def test_entropy_float32(student, reference):
    sigma = log_uniform((2, 3, 4), 1e-3, 1e3, seed=2, dtype=F32)
    got = expect_tensor(call(student, "gaussian_entropy", sigma), what="gaussian_entropy(sigma)", shape=(2, 3, 4),
                        dtype=F32)
    expect_close(got, reference.gaussian_entropy(sigma.double()), what="h(N(0, sigma^2))", rtol=1e-5, atol=1e-5)


@pytest.mark.grade("2.3", "gaussian_entropy depends on units: metres -> millimetres adds ln 1000", points=1)
def test_entropy_units(student):
    sigma = log_uniform((6,), 1e-2, 1e1, seed=3)
    in_m = expect_tensor(call(student, "gaussian_entropy", sigma), what="gaussian_entropy(sigma)", shape=(6,))
    in_mm = expect_tensor(call(student, "gaussian_entropy", 1000 * sigma), what="gaussian_entropy(1000 sigma)",
                          shape=(6,))
    expect_close(in_mm - in_m, torch.full((6,), math.log(1000), dtype=F64),
                 what="h(1000 X) - h(X)", rtol=1e-8, atol=1e-8,
                 hint="h(a X) = h(X) + ln a: differential entropy is not unit-free (it has ln sigma in it)")


# ----------------------------------------------------------------------------- quantization
COARSE = [(1.0, 0.5), (0.3, 0.9), (2.0, 20.0), (0.01, 0.007), (5.0, 3.0), (1.0, 1.0)]
FINE = [(1.0, 1e-3), (0.002, 1e-5), (50.0, 0.2), (3.0, 0.06)]


def rounded_entropy(sigma, width):
    """The entropy of round(X / width): bins centred on the grid points (a mistake)."""
    k = torch.arange(math.floor(-12 * sigma / width) - 1, math.floor(12 * sigma / width) + 3, dtype=F64)
    cdf = torch.special.ndtr((k - 0.5) * width / sigma)
    p = cdf[1:] - cdf[:-1]
    return float(-torch.special.xlogy(p, p).sum())


@pytest.mark.grade("2.4", "quantized_entropy at coarse widths (0.5 to 10 sigma): not h - ln(width)", points=2)
def test_quantized_coarse(student, reference):
    for case, (sigma, width) in enumerate(COARSE, 1):
        got = as_float(call(student, "quantized_entropy", sigma, width), what="quantized_entropy(sigma, width)")
        expected = reference.quantized_entropy(sigma, width)
        h = 0.5 * math.log(2 * math.pi * math.e * sigma**2)
        if abs(got - (h - math.log(width))) < 1e-4 * (1 + abs(h - math.log(width))):
            fail(f"Case {case}: you returned h(sigma) - ln(width), the small-width approximation; at bins as wide "
                 "as sigma it is far off (it can even be negative, which no discrete entropy is). "
                 "Sum -P_k ln P_k over the bins.")
        if got < -1e-9:
            fail(f"Case {case}: a negative entropy; the entropy of a discrete variable is >= 0.")
        if abs(got - rounded_entropy(sigma, width)) < 1e-5 * (1 + abs(got)) and abs(got - expected) > 1e-3:
            fail(f"Case {case}: you quantized with round(X / width), bins centred on the points k w. The bins are "
                 "[k w, (k+1) w): k = floor(X / width).")
        expect_close(f64(got), f64(expected), what=f"H(floor(X / width)) (case {case})", rtol=1e-5, atol=2e-5,
                     hint="bin k is [k w, (k+1) w) (floor, not round); P_k = Phi((k+1) w / sigma) - Phi(k w / sigma)")


@pytest.mark.grade("2.5", "quantized_entropy at fine widths (1e-3 to 0.02 sigma): about h - ln(width), up to 8 nats",
                   points=1)
def test_quantized_fine(student, reference):
    for case, (sigma, width) in enumerate(FINE, 1):
        got = as_float(call(student, "quantized_entropy", sigma, width), what="quantized_entropy(sigma, width)")
        expected = reference.quantized_entropy(sigma, width)
        h = 0.5 * math.log(2 * math.pi * math.e * sigma**2)
        if abs(got - h) < 1e-3:
            fail(f"Case {case}: you returned about h(sigma): the ln(width) is missing. With P_k ~ p(x_k) w, "
                 "-sum P_k ln P_k = -sum P_k ln p(x_k) - ln w, which grows without bound as w -> 0.")
        expect_close(f64(got), f64(expected), what=f"H(floor(X / width)) (case {case})", rtol=1e-5, atol=2e-5,
                     hint="every bin within 12 sigma counts (up to 24 sigma / width of them)")


# ----------------------------------------------------------------------------- KL
def kl_atol(mu_p, sigma_p, mu_q, sigma_q, dtype):
    """KL = ln(sigma_q / sigma_p) + fraction - 1/2 cancels: scale the tolerance by the parts."""
    mu_p, sigma_p, mu_q, sigma_q = (t.double() for t in (mu_p, sigma_p, mu_q, sigma_q))
    scale = (sigma_q / sigma_p).log().abs() + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2)
    return (3e-6 if dtype == F32 else 1e-12) * (1 + float(scale.max()))


def kl_mistake(got, args, reference):
    mu_p, sigma_p, mu_q, sigma_q = (t.double() for t in args)
    expected = reference.gaussian_kl(mu_p, sigma_p, mu_q, sigma_q)
    if matches(got, reference.gaussian_kl(mu_q, sigma_q, mu_p, sigma_p), expected):
        return ("You computed KL(q || p): the arguments are swapped. KL is not symmetric; "
                "KL(p || q) = E_p[ln p(x) / q(x)].")
    as_if_variance = (sigma_q / sigma_p).log() + (sigma_p + (mu_p - mu_q) ** 2) / (2 * sigma_q) - 0.5
    if matches(got, as_if_variance, expected):
        return ("The fraction uses sigma where it needs sigma^2: "
                "(sigma_p^2 + (mu_p - mu_q)^2) / (2 sigma_q^2). sigma is the standard deviation.")
    if matches(got, expected + 0.5, expected):
        return "The -1/2 is missing: without it KL(p || p) would be 1/2, not 0."
    if matches(got, expected + (sigma_q / sigma_p).log(), expected):
        return "The log term is ln(sigma_q^2 / sigma_p^2); it is ln(sigma_q / sigma_p)."
    return None


def random_gaussians(shape, seed, dtype=F64):
    g = gen(seed)
    mu_p = (3 * torch.randn(*shape, generator=g, dtype=F64)).to(dtype)
    mu_q = (3 * torch.randn(*shape, generator=g, dtype=F64)).to(dtype)
    sigma_p = log_uniform(shape, 0.05, 20, seed=seed + 1000, dtype=dtype)
    sigma_q = log_uniform(shape, 0.05, 20, seed=seed + 2000, dtype=dtype)
    return mu_p, sigma_p, mu_q, sigma_q


@pytest.mark.grade("2.6", "gaussian_kl: random pairs (float64), argument order KL(p || q)", points=2)
def test_kl_float64(student, reference):
    args = random_gaussians((4, 5), seed=4)
    got = expect_tensor(call(student, "gaussian_kl", *args), what="gaussian_kl(mu_p, sigma_p, mu_q, sigma_q)",
                        shape=(4, 5), dtype=F64)
    problem = kl_mistake(got, args, reference)
    if problem:
        fail(problem)
    expect_close(got, reference.gaussian_kl(*args), what="KL(p || q)", rtol=1e-9, atol=kl_atol(*args, F64))


@pytest.mark.grade("2.7", "gaussian_kl: the arguments broadcast (a batch against one Gaussian, and back)", points=1)
def test_kl_broadcast(student, reference):
    mu, sigma, _, _ = random_gaussians((6,), seed=5)
    zero, one = torch.tensor(0.0, dtype=F64), torch.tensor(1.0, dtype=F64)
    for args, text in (((mu, sigma, zero, one), "KL(N(mu_i, sigma_i^2) || N(0, 1))"),
                       ((zero, one, mu, sigma), "KL(N(0, 1) || N(mu_i, sigma_i^2))")):
        got = expect_tensor(call(student, "gaussian_kl", *args), what=f"gaussian_kl for {text}", shape=(6,),
                            dtype=F64)
        expect_close(got, reference.gaussian_kl(*args), what=text, rtol=1e-9, atol=kl_atol(*args, F64),
                     hint="use elementwise tensor operations, which broadcast (no .item(), no loops over one argument)")


@pytest.mark.grade("2.8", "gaussian_kl: float32 in, float32 out, nearly equal Gaussians included", points=1)
def test_kl_float32(student, reference):
    mu_p, sigma_p, mu_q, sigma_q = random_gaussians((8,), seed=6, dtype=F32)
    mu_q[:3] = mu_p[:3] + torch.tensor([1e-3, 0.0, -0.02])
    sigma_q[:3] = sigma_p[:3] * torch.tensor([1.001, 1.0, 0.98])
    args = (mu_p, sigma_p, mu_q, sigma_q)
    got = expect_tensor(call(student, "gaussian_kl", *args), what="gaussian_kl(...)", shape=(8,), dtype=F32)
    expect_close(got, reference.gaussian_kl(*(t.double() for t in args)), what="KL(p || q)", rtol=1e-4,
                 atol=kl_atol(*args, F32))


@pytest.mark.grade("2.9", "gaussian_kl is unit-free: scaling every mean and sigma by 1000 changes nothing", points=1)
def test_kl_units(student, reference):
    args = random_gaussians((6,), seed=7)
    scaled = tuple(1000 * t for t in args)
    got = expect_tensor(call(student, "gaussian_kl", *scaled), what="gaussian_kl in millimetres", shape=(6,),
                        dtype=F64)
    expect_close(got, reference.gaussian_kl(*args), what="KL(p || q) after a change of units", rtol=1e-9,
                 atol=kl_atol(*args, F64),
                 hint="KL compares two densities of the same variable: the Jacobian of a change of units cancels "
                      "in p / q. Only sigma_p / sigma_q and (mu_p - mu_q) / sigma_q may appear, with variances in "
                      "the fraction")


# ----------------------------------------------------------------------------- MI
def mi_mistake(got, rho):
    expected = -0.5 * torch.log1p(-rho.double() ** 2)
    if matches(got, -expected, expected):
        return "The sign is wrong: I = -(1/2) ln(1 - rho^2) >= 0, like every KL divergence."
    if matches(got, 2 * expected, expected):
        return "The values are twice too large: I = -(1/2) ln(1 - rho^2)."
    if matches(got, -0.5 * torch.log1p(-rho.double()), expected):
        return "You used ln(1 - rho) where the formula has ln(1 - rho^2); the answer cannot depend on the sign of rho."
    return None


@pytest.mark.grade("2.10", "gaussian_mutual_information: random correlations (float64), rho and -rho", points=2)
def test_mi_float64(student, reference):
    rho = 1.998 * torch.rand(3, 4, generator=gen(8), dtype=F64) - 0.999
    got = expect_tensor(call(student, "gaussian_mutual_information", rho), what="gaussian_mutual_information(rho)",
                        shape=(3, 4), dtype=F64)
    problem = mi_mistake(got, rho)
    if problem:
        fail(problem)
    expect_close(got, reference.gaussian_mutual_information(rho), what="I(X; Y)", rtol=1e-9, atol=1e-12)


@pytest.mark.grade("2.11", "gaussian_mutual_information: float32, |rho| up to 0.999", points=1)
def test_mi_float32(student, reference):
    rho = torch.tensor([0.999, -0.999, 1e-3, 0.3, -0.75, 0.99])
    got = expect_tensor(call(student, "gaussian_mutual_information", rho), what="gaussian_mutual_information(rho)",
                        shape=(6,), dtype=F32)
    problem = mi_mistake(got, rho)
    if problem:
        fail(problem)
    # atol: h(X) + h(Y) - h(X, Y), textbook-correct, cancels terms of about 3 nats in float32
    expect_close(got, reference.gaussian_mutual_information(rho.double()), what="I(X; Y)", rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------------------- KDE
def mixture(n, seed, d=2, dtype=F64):
    """Points from three well separated Gaussian blobs (the population)."""
    g = gen(seed)
    centres = torch.tensor([[-2.0, 0.0], [1.5, 1.5], [1.0, -2.0]], dtype=F64)
    if d != 2:
        centres = torch.randn(3, d, generator=gen(99), dtype=F64)
    k = torch.randint(0, 3, (n,), generator=g)
    return (centres[k] + 0.5 * torch.randn(n, d, generator=g, dtype=F64)).to(dtype)


def kde_mistake(got, train, x, sigma, reference):
    expected = reference.kde_log_likelihood(train.double(), x.double(), sigma)
    n, d = train.shape
    if not torch.isfinite(got):
        return ("The answer is not finite: exp of the log kernels underflows to 0 and its log is -inf. "
                "Use torch.logsumexp over the training points.")
    if matches(got, expected + math.log(n), expected):
        return "The answer is ln N too high: average the N kernels ((1/N) sum_i), do not add them."
    normaliser = 0.5 * d * math.log(2 * math.pi * sigma**2)
    if matches(got, expected + normaliser, expected):
        return ("The kernels are not normalised: each is a density, "
                "exp(-||x - t||^2 / 2 sigma^2) / (2 pi sigma^2)^(d/2).")
    squared = ((x.double()[:, None] - train.double()[None]) ** 2).sum(-1)
    mean_of_logs = (-squared / (2 * sigma**2)).mean(1).mean() - normaliser
    if matches(got, mean_of_logs, expected):
        return ("You averaged the log kernels over the training points: the estimate is the log of the average "
                "of the kernels, ln((1/N) sum_i N(x; t_i, sigma^2 I)), not the average of their logs.")
    return None


@pytest.mark.grade("2.12", "kde_log_likelihood: 2-D data (float64), sigma = 0.05, 0.3 and 2, and a single point",
                   points=2)
def test_kde_float64(student, reference):
    train, x = mixture(60, seed=9), mixture(40, seed=10)
    for sigma, points in ((0.05, x), (0.3, x), (2.0, x), (0.3, x[:1])):
        got = expect_tensor(call(student, "kde_log_likelihood", train, points, sigma), what="kde_log_likelihood(...)",
                            shape=(), dtype=F64)
        problem = kde_mistake(got, train, points, sigma, reference)
        if problem:
            fail(problem)
        expected = reference.kde_log_likelihood(train, points, sigma)
        expect_close(got, expected, what="mean log p(x)", rtol=1e-8, atol=1e-8,
                     hint="log kernels -||x - t_i||^2 / (2 sigma^2) - (d/2) ln(2 pi sigma^2), logsumexp over i "
                          "(the training points), minus ln N, then the mean over the rows of x")


@pytest.mark.grade("2.13", "kde_log_likelihood: float32 in, float32 out (d = 5, sigma = 0.7)", points=1)
def test_kde_float32(student, reference):
    train, x = mixture(50, seed=11, d=5, dtype=F32), mixture(30, seed=12, d=5, dtype=F32)
    got = expect_tensor(call(student, "kde_log_likelihood", train, x, 0.7), what="kde_log_likelihood(...)", shape=(),
                        dtype=F32)
    expected = reference.kde_log_likelihood(train.double(), x.double(), 0.7)
    squared = ((x.double()[:, None] - train.double()[None]) ** 2).sum(-1) / (2 * 0.7**2)
    atol = 3e-5 * (1 + float(squared.min(1).values.max()) + abs(float(expected)))
    expect_close(got, expected, what="mean log p(x)", rtol=1e-4, atol=atol)


@pytest.mark.grade("2.14", "kde_log_likelihood is stable: d = 64, sigma = 1e-3, points near and far", points=2)
def test_kde_stable(student, reference):
    train = torch.randn(40, 64, generator=gen(13), dtype=F64)
    # near points: ||x - t||^2 / (2 sigma^2) between about 1000 and 3000 for the nearest centre
    scale = torch.linspace(0.0055, 0.0095, 12, dtype=F64)[:, None]
    near_points = train[:12] + scale * torch.randn(12, 64, generator=gen(14), dtype=F64).sign()
    far_points = torch.randn(4, 64, generator=gen(15), dtype=F64)
    for points, text in ((near_points, "near"), (torch.cat([near_points, far_points]), "near and far")):
        got = expect_tensor(call(student, "kde_log_likelihood", train, points, 1e-3),
                            what="kde_log_likelihood(train, x, 1e-3)", shape=(), dtype=F64)
        problem = kde_mistake(got, train, points, 1e-3, reference)
        if problem:
            fail(f"Points {text} the training data: {problem}")
        expected = reference.kde_log_likelihood(train, points, 1e-3)
        expect_close(got, expected, what=f"mean log p(x) (points {text} the training data)", rtol=1e-8, atol=1e-8)


# ----------------------------------------------------------------------------- the two curves
def leave_one_out(train, sigma):
    squared = ((train[:, None] - train[None]) ** 2).sum(-1)
    n, d = train.shape
    log_kernel = -squared / (2 * sigma**2) - 0.5 * d * math.log(2 * math.pi * sigma**2)
    log_kernel = log_kernel.masked_fill(torch.eye(n, dtype=torch.bool), -math.inf)
    return -(torch.logsumexp(log_kernel, 1) - math.log(n - 1)).mean()


def curves(student, train, heldout, sigmas, dtype):
    out = expect_tuple(call(student, "train_and_heldout_nll", train, heldout, sigmas), 2,
                       what="train_and_heldout_nll(train, heldout, sigmas)")
    S = len(sigmas)
    return (expect_tensor(out[0], what="the training NLL", shape=(S,), dtype=dtype),
            expect_tensor(out[1], what="the held-out NLL", shape=(S,), dtype=dtype))


def curve_mistake(got_train, got_heldout, want_train, want_heldout, train, heldout, sigmas, reference):
    if matches(got_train, want_heldout, want_train) and matches(got_heldout, want_train, want_heldout):
        return "The two curves are swapped: return (training NLL, held-out NLL)."
    if matches(got_train, -want_train, want_train) or matches(got_heldout, -want_heldout, want_heldout):
        return "These are log-likelihoods: return the negative log-likelihoods."
    centres_swapped = torch.stack([-reference.kde_log_likelihood(heldout.double(), train.double(), s) for s in sigmas])
    if matches(got_heldout, centres_swapped, want_heldout):
        return ("The held-out NLL puts the kernels on the held-out points and scores the training set. The model is "
                "the KDE built on the training set: score the held-out points under it.")
    n = train.shape[0]
    loo = torch.stack([leave_one_out(train.double(), float(s)) for s in sigmas])
    if matches(got_train, loo, want_train) or matches(got_train, loo + math.log(n / (n - 1)), want_train):
        return ("The training NLL leaves each point out of its own sum (leave-one-out). The model's training loss "
                "is -kde_log_likelihood(train, train, sigma) with each point included, and that is the loss that "
                "falls without bound as sigma -> 0 (leave-one-out is a fix for bandwidth selection, not the "
                "training loss).")
    return None


SIGMAS = torch.logspace(-3, 1, 9, dtype=F64)


@pytest.mark.grade("2.15", "train_and_heldout_nll: 2-D data, sigma from 1e-3 to 10 (float64)", points=2)
def test_curves_values(student, reference):
    train, heldout = mixture(100, seed=1), mixture(80, seed=2)
    got_train, got_heldout = curves(student, train, heldout, SIGMAS, F64)
    want_train, want_heldout = reference.train_and_heldout_nll(train, heldout, SIGMAS)
    problem = curve_mistake(got_train, got_heldout, want_train, want_heldout, train, heldout, SIGMAS,
                            reference)
    if problem:
        fail(problem)
    expect_close(got_train, want_train, what="training NLL", rtol=1e-8, atol=1e-8,
                 hint="-kde_log_likelihood(train, train, sigma), each point in its own sum")
    expect_close(got_heldout, want_heldout, what="held-out NLL", rtol=1e-8, atol=1e-8,
                 hint="-kde_log_likelihood(train, heldout, sigma); stable at small sigma (log-sum-exp)")


@pytest.mark.grade("2.16", "train_and_heldout_nll: the training NLL falls without bound, the held-out NLL has a minimum",
                   points=2)
def test_curves_shape(student):
    train, heldout = mixture(120, seed=16), mixture(90, seed=17)
    got_train, got_heldout = curves(student, train, heldout, SIGMAS, F64)
    if not (torch.isfinite(got_train).all() and torch.isfinite(got_heldout).all()):
        fail("Some values are not finite: at small sigma the kernels underflow unless you use a log-sum-exp.")
    n, d = train.shape
    # with each point in its own sum, at sigma -> 0 the training NLL is ln N + d ln sigma + (d/2) ln 2 pi
    floor = math.log(n) + d * math.log(float(SIGMAS[0])) + 0.5 * d * math.log(2 * math.pi)
    if float(got_train[0]) > floor + 1e-6:
        fail(f"At the smallest sigma the training NLL should be about ln N + d ln sigma + (d/2) ln(2 pi) "
             f"= {floor:.3f} (each point sits on its own kernel), but it is {float(got_train[0]):.3f}.")
    best = int(torch.argmin(got_heldout))
    if not 0 < best < len(SIGMAS) - 1:
        fail("The held-out NLL should be smallest at an interior bandwidth (too small a sigma memorises the "
             "training points, too large a sigma blurs the blobs), but its minimum is at an end of the range.")
    if not (got_train[1:best + 1] > got_train[:best]).all():
        fail("The training NLL should fall as sigma falls below the held-out optimum (towards -infinity).")
    if float(got_train[0]) >= float(got_heldout[0]):
        fail("At the smallest sigma the training NLL should be far below the held-out NLL.")


@pytest.mark.grade("2.17", "train_and_heldout_nll is stable in d = 64 down to sigma = 1e-3 (float64)", points=1)
def test_curves_stable(student, reference):
    train, heldout = mixture(40, seed=18, d=64), mixture(20, seed=19, d=64)
    sigmas = torch.tensor([1e-3, 1e-2, 0.1, 1.0], dtype=F64)
    got_train, got_heldout = curves(student, train, heldout, sigmas, F64)
    want_train, want_heldout = reference.train_and_heldout_nll(train, heldout, sigmas)
    if not torch.isfinite(got_heldout).all():
        fail("The held-out NLL is not finite at small sigma: exp underflows to 0 in 64 dimensions. "
             "Use a log-sum-exp.")
    problem = curve_mistake(got_train, got_heldout, want_train, want_heldout, train, heldout, sigmas,
                            reference)
    if problem:
        fail(problem)
    expect_close(got_train, want_train, what="training NLL", rtol=1e-8, atol=1e-8)
    expect_close(got_heldout, want_heldout, what="held-out NLL", rtol=1e-8, atol=1e-8)


@pytest.mark.grade("2.18", "train_and_heldout_nll: float32 in, float32 out", points=1)
def test_curves_float32(student, reference):
    train, heldout = mixture(50, seed=20, dtype=F32), mixture(30, seed=21, dtype=F32)
    sigmas = torch.tensor([0.3, 1.0, 3.0])
    got_train, got_heldout = curves(student, train, heldout, sigmas, F32)
    want_train, want_heldout = reference.train_and_heldout_nll(train.double(), heldout.double(), sigmas.double())
    expect_close(got_train, want_train, what="training NLL", rtol=1e-4, atol=1e-4)
    expect_close(got_heldout, want_heldout, what="held-out NLL", rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------- decoder
def decoder_mistake(got, y, y_hat, log_sigma, expected):
    y, y_hat, log_sigma = y.double(), y_hat.double(), log_sigma.double()
    log_sigma_full = log_sigma.expand_as(y)
    squared = ((y - y_hat) ** 2 * torch.exp(-2 * log_sigma_full)).sum(-1)
    if matches(got, expected - log_sigma_full.sum(-1), expected):
        return ("The d ln sigma term (sum_j ln sigma_j) is missing: without it a learned sigma would only be "
                "pushed up, and the NLL is not a normalised density's.")
    if matches(got, expected - squared, expected):
        return ("The squared error enters with a minus sign: p(y | z) ~ exp(-||y - y_hat||^2 / 2 sigma^2) (a slide "
                "of the notes drops the minus), so -ln p(y | z) = +||y - y_hat||^2 / (2 sigma^2) + ...")
    as_log_var = (0.5 * (y - y_hat) ** 2 * torch.exp(-log_sigma_full) + 0.5 * log_sigma_full).sum(-1) \
        + 0.5 * y.shape[-1] * math.log(2 * math.pi)
    if matches(got, as_log_var, expected):
        return "log_sigma was used as ln sigma^2 (a log-variance); it is ln sigma, so sigma^2 = exp(2 log_sigma)."
    if matches(got, expected / y.shape[-1], expected):
        return "The terms are averaged over the last dimension; sum them."
    if matches(got, expected - 0.5 * y.shape[-1] * math.log(2 * math.pi), expected):
        return "The constant (d/2) ln(2 pi) is missing: the NLL of a density includes it."
    return None


def decoder_data(shape, seed, dtype=F64):
    g = gen(seed)
    y = torch.randn(*shape, generator=g, dtype=F64)
    y_hat = y + 0.3 * torch.randn(*shape, generator=g, dtype=F64)
    return y.to(dtype), y_hat.to(dtype)


@pytest.mark.grade("2.19", "gaussian_decoder_nll (float64): one sigma, one per entry, batch shape (2, 3) kept, "
                           "small and large sigma", points=2)
def test_decoder_float64(student, reference):
    y, y_hat = decoder_data((2, 3, 7), seed=22)
    cases = [torch.tensor(-3.0, dtype=F64), torch.tensor(1.5, dtype=F64),
             (0.8 * torch.randn(2, 3, 7, generator=gen(23), dtype=F64))]
    for log_sigma in cases:
        got = expect_tensor(call(student, "gaussian_decoder_nll", y, y_hat, log_sigma),
                            what=f"gaussian_decoder_nll(y, y_hat, log_sigma of shape {tuple(log_sigma.shape)})",
                            shape=(2, 3), dtype=F64)
        expected = reference.gaussian_decoder_nll(y, y_hat, log_sigma)
        problem = decoder_mistake(got, y, y_hat, log_sigma, expected)
        if problem:
            fail(problem)
        expect_close(got, expected, what="-ln N(y; y_hat, sigma^2 I)", rtol=1e-9, atol=1e-9)


@pytest.mark.grade("2.20", "gaussian_decoder_nll: log_sigma per dimension (d,) and per row (B, 1)", points=1)
def test_decoder_broadcast(student, reference):
    y, y_hat = decoder_data((5, 4), seed=24)
    for log_sigma in (torch.tensor([-1.0, 0.0, 0.5, 2.0], dtype=F64), torch.linspace(-2, 1, 5, dtype=F64)[:, None]):
        got = expect_tensor(call(student, "gaussian_decoder_nll", y, y_hat, log_sigma),
                            what=f"gaussian_decoder_nll(y, y_hat, log_sigma of shape {tuple(log_sigma.shape)})",
                            shape=(5,), dtype=F64)
        expected = reference.gaussian_decoder_nll(y, y_hat, log_sigma)
        problem = decoder_mistake(got, y, y_hat, log_sigma, expected)
        if problem:
            fail(problem)
        expect_close(got, expected, what="-ln N(y; y_hat, sigma^2 I)", rtol=1e-9, atol=1e-9,
                     hint="broadcast log_sigma against y: the log term is sum_j ln sigma_j")


@pytest.mark.grade("2.21", "gaussian_decoder_nll: float32 in, float32 out", points=1)
def test_decoder_float32(student, reference):
    y, y_hat = decoder_data((6, 10), seed=25, dtype=F32)
    log_sigma = torch.tensor(-1.2)
    got = expect_tensor(call(student, "gaussian_decoder_nll", y, y_hat, log_sigma), what="gaussian_decoder_nll(...)",
                        shape=(6,), dtype=F32)
    expected = reference.gaussian_decoder_nll(y.double(), y_hat.double(), log_sigma.double())
    expect_close(got, expected, what="-ln N(y; y_hat, sigma^2 I)", rtol=1e-4,
                 atol=3e-5 * (1 + float(expected.abs().max())))


# ----------------------------------------------------------------------------- dequantization
@pytest.mark.grade("2.22", "dequantized_nll_lower_bound: several d and widths, below and above 1", points=1)
def test_lower_bound(student, reference):
    for d, width in ((784, 1 / 256), (1, 0.1), (10, 2.5), (3072, 1 / 32)):
        got = as_float(call(student, "dequantized_nll_lower_bound", d, width),
                       what="dequantized_nll_lower_bound(d, width)")
        expected = reference.dequantized_nll_lower_bound(d, width)
        if abs(got + expected) < 1e-9 * abs(expected):
            fail("The sign is wrong: the bound is d ln(width), negative for bins narrower than 1.")
        expect_close(f64(got), f64(expected), what="d ln(width)", rtol=1e-9, atol=1e-9)


@pytest.mark.grade("2.23", "bits_per_dim: batches of NLLs for several d and widths (float64 and float32)", points=2)
def test_bits_per_dim(student, reference):
    for d, width, dtype, seed in ((784, 1 / 256, F64, 26), (3072, 1 / 256, F32, 27), (5, 0.5, F64, 28)):
        bound = reference.dequantized_nll_lower_bound(d, width)
        nll = (bound + d * torch.rand(2, 3, generator=gen(seed), dtype=F64) * 6).to(dtype)
        got = expect_tensor(call(student, "bits_per_dim", nll, d, width), what="bits_per_dim(nll, d, width)",
                            shape=(2, 3), dtype=dtype)
        expected = reference.bits_per_dim(nll.double(), d, width)
        if matches(got, expected * LN2, expected):
            fail("The values are in nats per dimension: divide by ln 2 for bits.")
        if matches(got, nll.double() / (d * LN2), expected):
            fail("The d ln(width) shift is missing: subtract the bound d ln(width) from the NLL first.")
        if matches(got, (nll.double() + d * math.log(width)) / (d * LN2), expected):
            fail("The shift has the wrong sign: bits_per_dim = (nll - d ln(width)) / (d ln 2).")
        expect_close(got, expected, what="bits per dimension", rtol=1e-5 if dtype == F32 else 1e-9,
                     atol=1e-5 if dtype == F32 else 1e-9)
