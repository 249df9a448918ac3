"""Hidden tests for kl_asymmetry: run only in the judge; expected values come from the
reference solution evaluated in float64. Messages never show the hidden inputs."""
import math

import pytest
import torch

from autograder.checks import as_float, expect_close, expect_tensor, expect_tuple, fail, fmt


def simplex(*shape, seed, zeros=0.0, dtype=torch.float32):
    """Random distributions over the last dimension; with ``zeros``, some exact zeros."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(*shape, generator=g, dtype=torch.float64) + 0.05
    if zeros:
        x = x * (torch.rand(*shape, generator=g, dtype=torch.float64) > zeros)
        x[..., 0] += 0.1  # every row keeps some mass
    return (x / x.sum(-1, keepdim=True)).to(dtype)


def kl_atol(reference, p, q, dtype):
    """KL = H(p, q) - H(p) cancels: allow an error proportional to the terms that cancel."""
    scale = reference.cross_entropy(p.double(), q.double()).abs() + reference.entropy(p.double()).abs()
    eps = 2e-6 if dtype == torch.float32 else 1e-12
    return float(eps * (1 + scale.max()))


# ----------------------------------------------------------------------------- entropy
@pytest.mark.grade("2.1", "entropy: random batch (float32), shape (3, 4, 5) -> (3, 4)", points=2)
def test_entropy_batch(student, reference):
    p = simplex(3, 4, 5, seed=1)
    got = expect_tensor(student.entropy(p), what="entropy(p)", shape=(3, 4), dtype=torch.float32)
    expect_close(got, reference.entropy(p.double()), what="H(p)", rtol=1e-4, atol=1e-6)


@pytest.mark.grade("2.2", "entropy: float64 in, float64 out, to full precision", points=1)
def test_entropy_float64(student, reference):
    p = simplex(6, 7, seed=2, dtype=torch.float64)
    got = expect_tensor(student.entropy(p), what="entropy(p)", shape=(6,), dtype=torch.float64)
    expect_close(got, reference.entropy(p), what="H(p)", rtol=1e-10, atol=1e-12)


@pytest.mark.grade("2.3", "entropy: outcomes with probability 0 add nothing (0 log 0 = 0)", points=2)
def test_entropy_zeros(student, reference):
    p = torch.tensor([[0.5, 0.5, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0], [0.25, 0.0, 0.75, 0.0]])
    got = expect_tensor(student.entropy(p), what="entropy(p)", shape=(3,))
    expect_close(got, reference.entropy(p.double()), what="H(p) with some p_k = 0",
                 hint="p log p is 0 where p = 0 (0 * log 0 gives NaN in floating point; torch.xlogy helps)")


@pytest.mark.grade("2.4", "entropy: logarithm base 2 and 10", points=1)
def test_entropy_base(student, reference):
    p = simplex(4, 6, seed=3, dtype=torch.float64)
    for base in (2.0, 10.0):
        got = expect_tensor(student.entropy(p, base=base), what=f"entropy(p, base={base:g})", shape=(4,))
        expect_close(got, reference.entropy(p, base=base), what=f"H(p) in base {base:g}", rtol=1e-6,
                     hint="log_b(x) = ln(x) / ln(b)")


@pytest.mark.grade("2.5", "entropy: the input is not modified", points=1)
def test_entropy_no_mutation(student, reference):
    p = simplex(3, 5, seed=4, zeros=0.3)
    # the engine fails any call that changes an argument in place
    got = expect_tensor(student.entropy(p), what="entropy(p)", shape=(3,))
    expect_close(got, reference.entropy(p.double()), what="H(p)", rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- cross-entropy
@pytest.mark.grade("2.6", "cross-entropy: random batch, argument order H(p, q)", points=2)
def test_cross_entropy_batch(student, reference):
    p, q = simplex(2, 3, 6, seed=5), simplex(2, 3, 6, seed=6)
    got = expect_tensor(student.cross_entropy(p, q), what="cross_entropy(p, q)", shape=(2, 3),
                        dtype=torch.float32)
    swapped = reference.cross_entropy(q.double(), p.double())
    expected = reference.cross_entropy(p.double(), q.double())
    if torch.allclose(got.double(), swapped, rtol=1e-4) and not torch.allclose(swapped, expected, rtol=1e-3):
        fail("cross_entropy(p, q) returned H(q, p): the arguments are swapped. H(p, q) = -sum_k p_k log q_k.")
    expect_close(got, expected, what="H(p, q)", rtol=1e-4, atol=1e-6)


@pytest.mark.grade("2.7", "cross-entropy: +inf where p_k > 0 and q_k = 0; 0 where p_k = 0", points=2)
def test_cross_entropy_zeros(student):
    p = torch.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5]], dtype=torch.float64)
    q = torch.tensor([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [0.5, 0.5, 0.0]], dtype=torch.float64)
    got = expect_tensor(student.cross_entropy(p, q), what="cross_entropy(p, q)", shape=(3,))
    expect_close(got, torch.tensor([math.log(2), math.log(4), math.inf], dtype=torch.float64),
                 what="H(p, q) with zero probabilities", rtol=1e-8,
                 hint="a term with p_k = 0 adds 0 even where q_k = 0; p_k > 0 with q_k = 0 gives +inf")


@pytest.mark.grade("2.8", "cross-entropy: tiny probabilities are not clipped with an epsilon", points=1)
def test_cross_entropy_no_clipping(student):
    p = torch.tensor([[1.0, 0.0], [0.5, 0.5]], dtype=torch.float64)
    q = torch.tensor([[1e-200, 1.0], [1e-30, 1.0 - 1e-30]], dtype=torch.float64)
    expected = torch.tensor([200 * math.log(10), 15 * math.log(10)], dtype=torch.float64)
    got = expect_tensor(student.cross_entropy(p, q), what="cross_entropy(p, q)", shape=(2,))
    expect_close(got, expected, what="H(p, q) with tiny q_k", rtol=1e-8,
                 hint="clipping q with an epsilon changes the answer; handle p_k = 0 exactly instead")


@pytest.mark.grade("2.9", "cross-entropy: logarithm base 2", points=1)
def test_cross_entropy_base(student, reference):
    p, q = simplex(5, 4, seed=7, dtype=torch.float64), simplex(5, 4, seed=8, dtype=torch.float64)
    got = expect_tensor(student.cross_entropy(p, q, base=2.0), what="cross_entropy(p, q, base=2)", shape=(5,))
    expect_close(got, reference.cross_entropy(p, q, base=2.0), what="H(p, q) in bits", rtol=1e-6)


@pytest.mark.grade("2.10", "cross-entropy: inputs are not modified", points=1)
def test_cross_entropy_no_mutation(student, reference):
    p, q = simplex(3, 5, seed=9, zeros=0.3), simplex(3, 5, seed=10)
    # the engine fails any call that changes an argument in place
    got = expect_tensor(student.cross_entropy(p, q), what="cross_entropy(p, q)", shape=(3,))
    expect_close(got, reference.cross_entropy(p.double(), q.double()), what="H(p, q)", rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------- KL
@pytest.mark.grade("2.11", "KL: random batch (float32), argument order KL(p || q)", points=2)
def test_kl_batch(student, reference):
    p, q = simplex(4, 3, 5, seed=11), simplex(4, 3, 5, seed=12)
    got = expect_tensor(student.kl_divergence(p, q), what="kl_divergence(p, q)", shape=(4, 3),
                        dtype=torch.float32)
    expected = reference.kl_divergence(p.double(), q.double())
    swapped = reference.kl_divergence(q.double(), p.double())
    atol = kl_atol(reference, p, q, torch.float32)
    if torch.allclose(got.double(), swapped, rtol=1e-4, atol=atol) and not torch.allclose(
            swapped, expected, rtol=1e-3):
        fail("kl_divergence(p, q) returned KL(q || p): KL is not symmetric, so the order matters.")
    expect_close(got, expected, what="KL(p || q)", rtol=1e-4, atol=atol)


@pytest.mark.grade("2.12", "KL: float64 in, float64 out, to full precision", points=1)
def test_kl_float64(student, reference):
    p, q = simplex(5, 8, seed=13, dtype=torch.float64), simplex(5, 8, seed=14, dtype=torch.float64)
    got = expect_tensor(student.kl_divergence(p, q), what="kl_divergence(p, q)", shape=(5,), dtype=torch.float64)
    expect_close(got, reference.kl_divergence(p, q), what="KL(p || q)", rtol=1e-9,
                 atol=kl_atol(reference, p, q, torch.float64))


@pytest.mark.grade("2.13", "KL: zero probabilities (0 where p_k = 0, +inf where q_k = 0 < p_k)", points=2)
def test_kl_zeros(student):
    p = torch.tensor([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 1.0, 0.0]])
    q = torch.tensor([[0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    got = expect_tensor(student.kl_divergence(p, q), what="kl_divergence(p, q)", shape=(4,))
    expect_close(got, torch.tensor([0.0, math.log(2), math.inf, math.log(2)]),
                 what="KL(p || q) with zero probabilities", rtol=1e-5, atol=1e-6,
                 hint="terms with p_k = 0 add 0 (no NaN); p_k > 0 with q_k = 0 gives +inf, without clipping")


@pytest.mark.grade("2.14", "KL: KL(p || p) = 0, and KL(p || q) > 0 when q differs from p", points=1)
def test_kl_self(student):
    # Gibbs' inequality in both directions: a constant 0 satisfies the first half only. The value
    # of KL(p || q) is judged by 2.11; here only its sign, so that one mistake costs one test.
    p, q = simplex(6, 7, seed=15), simplex(6, 7, seed=20)
    got = expect_tensor(student.kl_divergence(p, p.clone()), what="kl_divergence(p, p)", shape=(6,))
    expect_close(got, torch.zeros(6), what="KL(p || p)", atol=1e-5,
                 hint="a distribution does not diverge from itself: every term is p_k log(p_k / p_k) = 0")
    got = expect_tensor(student.kl_divergence(p, q), what="kl_divergence(p, q)", shape=(6,))
    if not (got.double() > 1e-6).all():
        fail("KL(p || q) should be positive when q differs from p (Gibbs' inequality: KL(p || q) >= 0, with "
             f"equality only when q = p), but some of yours are not: {fmt(got)}.")


@pytest.mark.grade("2.15", "KL: logarithm base 2", points=1)
def test_kl_base(student, reference):
    p, q = simplex(5, 4, seed=16, dtype=torch.float64), simplex(5, 4, seed=17, dtype=torch.float64)
    got = expect_tensor(student.kl_divergence(p, q, base=2.0), what="kl_divergence(p, q, base=2)", shape=(5,))
    expect_close(got, reference.kl_divergence(p, q, base=2.0), what="KL(p || q) in bits", rtol=1e-6, atol=1e-12)


@pytest.mark.grade("2.16", "KL: inputs are not modified", points=1)
def test_kl_no_mutation(student, reference):
    p, q = simplex(3, 5, seed=18, zeros=0.3), simplex(3, 5, seed=19)
    # the engine fails any call that changes an argument in place
    got = expect_tensor(student.kl_divergence(p, q), what="kl_divergence(p, q)", shape=(3,))
    expect_close(got, reference.kl_divergence(p.double(), q.double()), what="KL(p || q)", rtol=1e-4,
                 atol=kl_atol(reference, p, q, torch.float32))


# ----------------------------------------------------------------------------- fits
FORWARD_CASES = [
    ([0.3, 0.7], [-4.0, 2.0], [0.8, 1.5]),
    ([0.2, 0.5, 0.3], [-1.0, 0.5, 6.0], [0.5, 2.0, 1.0]),
    ([1.0], [1.5], [0.7]),
]


@pytest.mark.grade("2.17", "forward-KL fit: moment matching on three mixtures", points=2)
def test_forward_fit(student, reference):
    for case, (w, m, s) in enumerate(FORWARD_CASES, 1):
        w, m, s = torch.tensor(w), torch.tensor(m), torch.tensor(s)
        fit = expect_tuple(student.fit_forward_kl(w, m, s), 2, what="fit_forward_kl(...)")
        mu, sigma = as_float(fit[0], what="mu"), as_float(fit[1], what="sigma")
        want_mu, want_sigma = reference.fit_forward_kl(w.double(), m.double(), s.double())
        if abs(sigma - want_sigma**2) < 1e-3 * want_sigma**2 and abs(want_sigma - 1) > 0.1:
            fail(f"Mixture {case}: sigma looks like a variance; return the standard deviation.")
        expect_close(mu, want_mu, what=f"mu (mixture {case})", rtol=1e-3, atol=1e-3)
        expect_close(sigma, want_sigma, what=f"sigma (mixture {case})", rtol=1e-3, atol=1e-3,
                     hint="the variance of a mixture includes the spread of the means: "
                          "sum_i w_i (s_i^2 + m_i^2) - mu^2")


REVERSE_CASES = [
    # (number, title, weights, means, stds, start, which side of 0 the mode must be on)
    ("2.18", "two far modes, started on the left", [0.5, 0.5], [-3.0, 3.0], [1.0, 1.0], (-2.6, 1.3), -1),
    ("2.19", "overlapping modes (one minimum, near 0)", [0.5, 0.5], [-2.0, 2.0], [1.0, 1.0], (1.0, 0.7), 0),
    ("2.20", "unequal weights and widths, started near the light mode", [0.3, 0.7], [-4.0, 2.0], [0.8, 1.5],
     (-3.5, 0.6), -1),
    ("2.21", "three modes, started near the middle one", [0.25, 0.5, 0.25], [-6.0, 0.0, 6.0], [1.0, 1.0, 1.0],
     (0.4, 0.8), 0),
]


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.grade(c[0], f"reverse-KL fit: {c[1]}", points=2), id=c[0])
    for c in REVERSE_CASES])
def test_reverse_fit(student, case, judge):
    number, title, w, m, s, start, side = case
    w, m, s = torch.tensor(w), torch.tensor(m), torch.tensor(s)
    fit = expect_tuple(student.fit_reverse_kl(w, m, s, *start), 2, what="fit_reverse_kl(...)")
    mu, sigma = as_float(fit[0], what="mu"), as_float(fit[1], what="sigma")
    problem = judge.local_minimum_problem(mu, sigma, start, w, m, s)
    if problem:
        fail(f"{title}: {problem}.")
    if side and mu * side < 0:
        fail(f"{title}: the fit left the basin it started in (mode seeking keeps it on one mode).")

