"""Public tests for differential_entropy: students run these with `autograder check`.

Expected values are literals (worked out by hand from the formulas of the statement), never
taken from the reference solution, so this file can ship in the student bundle.
"""
import math

import pytest
import torch

from autograder.checks import as_float, expect_close, expect_tensor, expect_tuple, fail

F64 = torch.float64
LN2 = math.log(2)
HALF_LN_2PI_E = 0.5 * math.log(2 * math.pi * math.e)  # 1.4189385332...


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


# ----------------------------------------------------------------------------- differential entropy
SIGMA = torch.tensor([1.0, 0.1, 10.0, math.exp(-2)])
H_SIGMA = torch.tensor([1.4189385332046727, -0.8836465597893728, 3.7215236261987186, -0.5810614667953273])


@pytest.mark.grade("1.1", "gaussian_entropy: ln sigma + (1/2) ln(2 pi e), negative for small sigma", points=1)
def test_gaussian_entropy(student):
    got = expect_tensor(student.gaussian_entropy(SIGMA), what="gaussian_entropy(sigma)", shape=(4,),
                        dtype=torch.float32)
    where = "sigma = (1, 0.1, 10, e^-2)"
    if matches(got, H_SIGMA.double() - 0.5 * LN2, H_SIGMA):
        fail(f"For {where} every value is (1/2) ln 2 too low: that is the normaliser 1/(sqrt(pi) sigma) of the "
             "lecture note's slide. The Gaussian density is exp(-x^2 / 2 sigma^2) / (sqrt(2 pi) sigma), so "
             "h = ln sigma + (1/2) ln(2 pi) + 1/2.")
    if matches(got, H_SIGMA.double() / LN2, H_SIGMA):
        fail(f"For {where} the values are in bits (log base 2); the function returns nats (natural logarithm).")
    if matches(got, H_SIGMA.double() - 0.5, H_SIGMA):
        fail(f"For {where} every value is 1/2 too low: E[x^2 / 2 sigma^2] = 1/2 is part of the entropy.")
    if matches(got, H_SIGMA.double() + SIGMA.double().log(), H_SIGMA):
        fail(f"For {where} you returned ln(sigma^2) + ...: h = ln sigma + (1/2) ln(2 pi e) = (1/2) ln(2 pi e sigma^2).")
    expect_close(got, H_SIGMA, what="h(N(0, sigma^2))", inputs=where, rtol=1e-5, atol=1e-5,
                 hint="h = ln sigma + (1/2) ln(2 pi e) = (1/2) ln(2 pi e sigma^2)")


# ----------------------------------------------------------------------------- quantization
@pytest.mark.grade("1.2", "quantized_entropy at coarse widths (w = 2 sigma, w = 10 sigma)", points=1)
def test_quantized_entropy_coarse(student):
    # (sigma, width), the answer, h - ln(width), the entropy of round(X / width) (bins centred on k w)
    cases = [((1.0, 2.0), 0.8786736655585782, 0.7257913526447274, 0.8603312625562729),
             ((0.5, 5.0), 0.6931471805599453, -0.8836465597893729, 9.210113918180575e-06)]
    for (sigma, width), expected, approximation, rounded in cases:
        where = f"sigma = {sigma:g}, width = {width:g}"
        got = as_float(student.quantized_entropy(sigma, width), what=f"quantized_entropy({sigma:g}, {width:g})")
        if abs(got - approximation) < 1e-4:
            fail(f"For {where} you returned h(sigma) - ln(width) = {approximation:.6f}: that is only the small-width "
                 "approximation. Sum -P_k ln P_k over the bins, with P_k from the normal CDF.")
        if abs(got - rounded) < 1e-4:
            fail(f"For {where} you quantized with round(X / width), bins centred on the points k w. The bins are "
                 "[k w, (k+1) w): k = floor(X / width).")
        expect_close(f64(got), f64(expected), what="H(floor(X / width))", inputs=where, rtol=1e-5, atol=2e-5,
                     hint="bin k is [k w, (k+1) w); P_k = Phi((k+1) w / sigma) - Phi(k w / sigma), "
                          "Phi(t) = (1 + erf(t / sqrt 2)) / 2; every bin with probability counts")


@pytest.mark.grade("1.3", "quantized_entropy at a fine width approaches h - ln(width) (+inf as width -> 0)",
                   points=1)
def test_quantized_entropy_fine(student):
    got = as_float(student.quantized_entropy(1.0, 0.01), what="quantized_entropy(1, 0.01)")
    if abs(got - HALF_LN_2PI_E) < 1e-3:
        fail("For sigma = 1, width = 0.01 you returned about h(sigma) = 1.4189: the entropy of the bins is "
             "h - ln(width) + (something small), so it grows as the bins shrink. With P_k ~ p(x_k) width, "
             "-sum P_k ln P_k = -sum P_k ln p(x_k) - ln(width).")
    expect_close(f64(got), f64(6.0241128858420705), what="H(floor(X / width))", inputs="sigma = 1, width = 0.01",
                 rtol=1e-5, atol=2e-5, hint="P_k = Phi((k+1) w / sigma) - Phi(k w / sigma) over every bin within "
                                          "12 sigma (here 2400 bins)")


# ----------------------------------------------------------------------------- KL and MI
@pytest.mark.grade("1.4", "gaussian_kl: KL(N(0,1) || N(1,4)), KL(N(1,4) || N(0,1)) and KL(p || p) = 0", points=1)
def test_gaussian_kl(student):
    args = [torch.tensor(v) for v in ([0.0, 1.0, 3.0], [1.0, 2.0, 0.5], [1.0, 0.0, 3.0], [2.0, 1.0, 0.5])]
    where = "mu_p = (0, 1, 3), sigma_p = (1, 2, 0.5), mu_q = (1, 0, 3), sigma_q = (2, 1, 0.5)"
    got = expect_tensor(student.gaussian_kl(*args), what="gaussian_kl(mu_p, sigma_p, mu_q, sigma_q)", shape=(3,),
                        dtype=torch.float32)
    expected = torch.tensor([0.4431471805599453, 1.3068528194400546, 0.0])
    if matches(got, expected[[1, 0, 2]], expected):
        fail(f"For {where} the first two values are swapped: you computed KL(q || p). "
             "KL(p || q) = E_p[ln p / q] = ln(sigma_q / sigma_p) + (sigma_p^2 + (mu_p - mu_q)^2) / (2 sigma_q^2) - 1/2.")
    expect_close(got, expected, what="KL(p || q)", inputs=where, rtol=1e-5, atol=1e-5,
                 hint="ln(sigma_q / sigma_p) + (sigma_p^2 + (mu_p - mu_q)^2) / (2 sigma_q^2) - 1/2: "
                      "variances in the fraction, and the -1/2 makes KL(p || p) = 0")


@pytest.mark.grade("1.5", "gaussian_mutual_information: -(1/2) ln(1 - rho^2)", points=1)
def test_mutual_information(student):
    rho = torch.tensor([0.0, 0.5, -0.5, 0.9])
    where = "rho = (0, 0.5, -0.5, 0.9)"
    got = expect_tensor(student.gaussian_mutual_information(rho), what="gaussian_mutual_information(rho)",
                        shape=(4,), dtype=torch.float32)
    expected = torch.tensor([0.0, 0.14384103622589045, 0.14384103622589045, 0.8303656034108255])
    if matches(got, -expected, expected):
        fail(f"For {where} the values are negative: I = -(1/2) ln(1 - rho^2) >= 0 (a KL divergence is never "
             "negative); the sign is wrong.")
    if matches(got, 2 * expected, expected):
        fail(f"For {where} the values are twice too large: I = -(1/2) ln(1 - rho^2).")
    expect_close(got, expected, what="I(X; Y)", inputs=where, rtol=1e-5, atol=1e-5,
                 hint="I = h(Y) - h(Y | X), Y | X ~ N(rho x, 1 - rho^2): it depends on rho^2, so rho and -rho agree")


# ----------------------------------------------------------------------------- KDE
@pytest.mark.grade("1.6", "kde_log_likelihood: a 1-D example by hand", points=1)
def test_kde_small(student):
    train = torch.tensor([[0.0], [2.0]], dtype=F64)
    x = torch.tensor([[0.0], [1.0]], dtype=F64)
    where = "train = (0, 2), x = (0, 1), sigma = 1 (d = 1)"
    got = expect_tensor(student.kde_log_likelihood(train, x, 1.0), what="kde_log_likelihood(train, x, 1)", shape=(),
                        dtype=F64)
    # ln p(0) = ln((phi(0) + phi(2)) / 2), ln p(1) = ln phi(1); their mean
    expected = -1.452048117963159
    if matches(got, expected + 0.5 * math.log(2 * math.pi), expected):
        fail(f"For {where} the answer is (1/2) ln(2 pi) too high: each kernel is a normalised density, "
             "N(x; t, sigma^2 I_d) = exp(-||x - t||^2 / 2 sigma^2) / (2 pi sigma^2)^(d/2).")
    if matches(got, expected + math.log(2), expected):
        fail(f"For {where} the answer is ln 2 = ln N too high: the estimate averages the N kernels, "
             "(1/N) sum_i N(x; t_i, sigma^2 I), it does not add them.")
    expect_close(got, f64(expected), what="mean log p(x)", inputs=where, rtol=1e-8, atol=1e-8,
                 hint="mean over x of ln((1/N) sum_i N(x; t_i, sigma^2 I_d)): the log of the average of the kernels, "
                      "not the average of their logs")


@pytest.mark.grade("1.7", "kde_log_likelihood is stable: d = 64, sigma = 1e-3 (every exp underflows)", points=1)
def test_kde_stable(student):
    train = torch.stack([torch.zeros(64, dtype=F64), torch.ones(64, dtype=F64), -torch.ones(64, dtype=F64)])
    x = torch.stack([torch.full((64,), 0.01, dtype=F64), torch.full((64,), 0.995, dtype=F64)])
    where = ("train = the vectors 0, 1 and -1 in 64 dimensions, x = (0.01, ..., 0.01) and (0.995, ..., 0.995), "
             "sigma = 1e-3")
    got = expect_tensor(student.kde_log_likelihood(train, x, 1e-3), what="kde_log_likelihood(train, x, 1e-3)",
                        shape=(), dtype=F64)
    # the nearest centres are at ||x - t||^2 / (2 sigma^2) = 3200 and 800; the others add e^(-3e7)
    expected = -2000 - math.log(3) - 32 * math.log(2 * math.pi * 1e-6)  # -1617.81434...
    if torch.isinf(got) or torch.isnan(got):
        fail(f"For {where} you returned {got.item()}: exp(-3200) and exp(-800) underflow to 0 in float64, and "
             "log(0) = -inf. Work with logs: ln sum_i exp(a_i) = torch.logsumexp(a, dim), which subtracts max_i a_i "
             "before exponentiating.")
    expect_close(got, f64(expected), what="mean log p(x)", inputs=where, rtol=1e-8, atol=1e-8,
                 hint="log kernel = -||x - t||^2 / (2 sigma^2) - (d/2) ln(2 pi sigma^2); logsumexp over the "
                      "training points, minus ln N, mean over x")


@pytest.mark.grade("1.8", "train_and_heldout_nll: a 1-D example by hand (each training point in its own sum)",
                   points=1)
def test_train_and_heldout_small(student):
    train = torch.tensor([[0.0], [2.0]], dtype=F64)
    heldout = torch.tensor([[0.5]], dtype=F64)
    sigmas = torch.tensor([0.5, 1.0, 2.0], dtype=F64)
    where = "train = (0, 2), heldout = (0.5), sigmas = (0.5, 1, 2)"
    out = expect_tuple(student.train_and_heldout_nll(train, heldout, sigmas), 2,
                       what="train_and_heldout_nll(train, heldout, sigmas)")
    train_nll = expect_tensor(out[0], what="the training NLL", shape=(3,), dtype=F64)
    heldout_nll = expect_tensor(out[1], what="the held-out NLL", shape=(3,), dtype=F64)
    want_train = torch.tensor([0.918603126831777, 1.4851577027216454, 1.8311559101444566], dtype=F64)
    want_heldout = torch.tensor([1.4007886052868628, 1.423824026246395, 1.7605434744457198], dtype=F64)
    if matches(train_nll, want_heldout, want_train) and matches(heldout_nll, want_train, want_heldout):
        fail(f"For {where} the two curves are swapped: return (training NLL, held-out NLL).")
    if matches(train_nll, -want_train, want_train) or matches(heldout_nll, -want_heldout, want_heldout):
        fail(f"For {where} the values are log-likelihoods: return the negative log-likelihoods.")
    # leave-one-out: each training point scored by the other one only (averaged over N - 1 or over N kernels)
    leave_one_out = torch.tensor([8.225791352644727, 2.9189385332046727, 2.112085713764618], dtype=F64)
    if matches(train_nll, leave_one_out, want_train) or matches(train_nll, leave_one_out + LN2, want_train):
        fail(f"For {where} the training NLL leaves each point out of its own sum (leave-one-out). The "
             "training loss of the model is -kde_log_likelihood(train, train, sigma), each point included: "
             "that is the loss that falls without bound as sigma -> 0.")
    expect_close(train_nll, want_train, what="training NLL", inputs=where, rtol=1e-8, atol=1e-8,
                 hint="-kde_log_likelihood(train, train, sigma) for each sigma")
    centres_swapped = torch.tensor([2.7257913526447277, 1.5439385332046727, 1.768335713764618], dtype=F64)
    if matches(heldout_nll, centres_swapped, want_heldout):
        fail(f"For {where} the held-out NLL puts the kernels on the held-out points and scores the training set. "
             "The model is the KDE built on the training set: score the held-out points under it, "
             "-kde_log_likelihood(train, heldout, sigma).")
    expect_close(heldout_nll, want_heldout, what="held-out NLL", inputs=where, rtol=1e-8, atol=1e-8,
                 hint="-kde_log_likelihood(train, heldout, sigma) for each sigma")


# ----------------------------------------------------------------------------- decoder
Y = torch.tensor([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
Y_HAT = torch.tensor([[0.5, 0.0, 0.0], [-0.5, 1.5, 0.0]])


@pytest.mark.grade("1.9", "gaussian_decoder_nll with one sigma: ||y - y_hat||^2 / 2 sigma^2 + d ln sigma + (d/2) ln 2 pi",
                   points=1)
def test_decoder_scalar(student):
    log_sigma = torch.tensor(math.log(0.5))
    where = "y = ((1, 0, -1), (0.5, 0.5, 0.5)), y_hat = ((0.5, 0, 0), (-0.5, 1.5, 0)), sigma = 0.5"
    got = expect_tensor(student.gaussian_decoder_nll(Y, Y_HAT, log_sigma), what="gaussian_decoder_nll(y, y_hat, log_sigma)",
                        shape=(2,), dtype=torch.float32)
    expected = torch.tensor([3.1773740579341823, 5.177374057934182])
    squared = torch.tensor([1.25, 2.25])
    if matches(got, expected + 3 * LN2, expected):
        fail(f"For {where} the answer is 3 ln 2 = -d ln sigma too high: the term d ln sigma is missing. It is what "
             "makes a learned sigma matter (without it the loss would only push sigma up).")
    if matches(got, expected - 4 * squared, expected):
        fail(f"For {where} the squared error enters with a minus sign. The density is "
             "p(y | z) ~ exp(-||y - y_hat||^2 / 2 sigma^2) (one slide of the notes drops the minus), so "
             "-ln p(y | z) = +||y - y_hat||^2 / (2 sigma^2) + ...")
    expect_close(got, expected, what="-ln N(y; y_hat, sigma^2 I)", inputs=where, rtol=1e-5, atol=1e-5,
                 hint="sum over the last dim of (y - y_hat)^2 / (2 sigma^2) + ln sigma + (1/2) ln(2 pi); "
                      "log_sigma is ln sigma, not ln sigma^2")


@pytest.mark.grade("1.10", "gaussian_decoder_nll: log_sigma per dimension (d,) and per row (B, 1) broadcasts",
                   points=1)
def test_decoder_broadcast(student):
    cases = [
        (torch.tensor([0.0, math.log(2.0), math.log(0.5)]), "per dimension: sigma = (1, 2, 0.5)",
         torch.tensor([4.8818155996140185, 3.881815599614018])),
        (torch.tensor([[0.0], [math.log(2.0)]]), "per row: sigma = 1 for row 1, 2 for row 2 (shape (2, 1))",
         torch.tensor([3.381815599614018, 5.117507141293855])),
    ]
    for log_sigma, which, expected in cases:
        where = f"y = ((1, 0, -1), (0.5, 0.5, 0.5)), y_hat = ((0.5, 0, 0), (-0.5, 1.5, 0)), {which}"
        got = expect_tensor(student.gaussian_decoder_nll(Y, Y_HAT, log_sigma),
                            what=f"gaussian_decoder_nll(y, y_hat, log_sigma of shape {tuple(log_sigma.shape)})",
                            shape=(2,))
        expect_close(got, expected, what="-ln N(y; y_hat, sigma^2 I)", inputs=where, rtol=1e-5, atol=1e-5,
                     hint="broadcast log_sigma against y and sum (y_j - y_hat_j)^2 / (2 sigma_j^2) + ln sigma_j + "
                          "(1/2) ln(2 pi) over j; with one sigma per dimension d ln sigma becomes sum_j ln sigma_j")


# ----------------------------------------------------------------------------- dequantization
@pytest.mark.grade("1.11", "dequantized_nll_lower_bound: d ln(width)", points=1)
def test_lower_bound(student):
    for d, width, expected, text in ((3, 1 / 256, -16.635532333438686, "d = 3, width = 1/256"),
                                     (2, 4.0, 2.772588722239781, "d = 2, width = 4")):
        got = as_float(student.dequantized_nll_lower_bound(d, width), what=f"dequantized_nll_lower_bound({text})")
        if abs(got + expected) < 1e-6 * abs(expected):
            fail(f"For {text} the sign is wrong: the bound is d ln(width) (negative for bins narrower than 1). "
                 "A density on [k w, (k+1) w)^d is at most 1 / w^d on average over the bin, so -ln p >= d ln w.")
        expect_close(f64(got), f64(expected), what="the lower bound", inputs=text, rtol=1e-9, atol=1e-9,
                     hint="d * ln(width), in nats")


@pytest.mark.grade("1.12", "bits_per_dim: (nll - d ln w) / (d ln 2); uniform noise at w = 1/256 is 8 bits",
                   points=1)
def test_bits_per_dim(student):
    nll = torch.tensor([0.0, 3 * math.log(1 / 256), 10.0])
    where = "nll = (0, 3 ln(1/256), 10) nats, d = 3, width = 1/256"
    got = expect_tensor(student.bits_per_dim(nll, 3, 1 / 256), what="bits_per_dim(nll, 3, 1/256)", shape=(3,),
                        dtype=torch.float32)
    expected = torch.tensor([8.0, 0.0, 12.808983469629878])
    if matches(got, expected * LN2, expected):
        fail(f"For {where} the values are in nats per dimension: divide by ln 2 to get bits.")
    if matches(got, torch.tensor([0.0, -8.0, 4.808983469629878]), expected):
        fail(f"For {where} the d ln(width) shift is missing: the continuous NLL of dequantized data is the "
             "discrete code length plus d ln(width), so subtract it first.")
    expect_close(got, expected, what="bits per dimension", inputs=where, rtol=1e-5, atol=1e-5,
                 hint="(nll - d ln w) / (d ln 2)")
