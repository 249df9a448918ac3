"""Public tests for kl_asymmetry: students run these with `autograder check`.

Expected values are literals (worked out by hand from the definitions), never taken from
the reference solution, so this file can ship in the student bundle.
"""
import math

import pytest
import torch

from autograder.checks import as_float, expect_close, expect_tensor, expect_tuple, fail


P = torch.tensor([0.5, 0.5])  # Discussion 13, 1(a): outcomes (+1, -1)
Q = torch.tensor([0.1, 0.9])
KL_PQ = 0.5 * math.log(0.5 / 0.1) + 0.5 * math.log(0.5 / 0.9)  # 0.5108256...
KL_QP = 0.1 * math.log(0.1 / 0.5) + 0.9 * math.log(0.9 / 0.5)  # 0.3680642...


@pytest.mark.grade("1.1", "entropy of a fair coin is ln 2 nats", points=1)
def test_entropy_fair_coin(student):
    got = expect_tensor(student.entropy(P), what="entropy(p) for p = (0.5, 0.5)", shape=(), dtype=torch.float32)
    expect_close(got, math.log(2), what="H(p)", inputs="p = (0.5, 0.5)")


@pytest.mark.grade("1.2", "entropy in bits of a uniform distribution over 4 outcomes", points=1)
def test_entropy_bits(student):
    got = expect_tensor(student.entropy(torch.full((4,), 0.25), base=2.0), what="entropy(p, base=2)", shape=())
    expect_close(got, 2.0, what="H(p) in bits", inputs="p uniform over 4 outcomes, base 2",
                 hint="log_b(x) = ln(x) / ln(b)")


@pytest.mark.grade("1.3", "entropy keeps batch dimensions and sums over the last one", points=1)
def test_entropy_batch_shape(student):
    p = torch.full((2, 3, 4), 0.25)
    got = expect_tensor(student.entropy(p), what="entropy(p) for p of shape (2, 3, 4)", shape=(2, 3))
    expect_close(got, torch.full((2, 3), math.log(4)), what="H(p)", inputs="uniform rows over 4 outcomes")


@pytest.mark.grade("1.4", "cross-entropy H(p, q) on the discussion example", points=1)
def test_cross_entropy_example(student):
    got = expect_tensor(student.cross_entropy(P, Q), what="cross_entropy(p, q)", shape=())
    expect_close(got, -0.5 * math.log(0.1) - 0.5 * math.log(0.9), what="H(p, q)",
                 inputs="p = (0.5, 0.5), q = (0.1, 0.9)", hint="H(p, q) = -sum_k p_k log q_k")


@pytest.mark.grade("1.5", "KL(p || q) on the discussion example", points=1)
def test_kl_example(student):
    got = expect_tensor(student.kl_divergence(P, Q), what="kl_divergence(p, q)", shape=())
    expect_close(got, KL_PQ, what="KL(p || q)", inputs="p = (0.5, 0.5), q = (0.1, 0.9)",
                 hint="KL(p || q) = sum_k p_k log(p_k / q_k)")


@pytest.mark.grade("1.6", "discussion_example returns (KL(p||q), KL(q||p)): KL is not symmetric", points=1)
def test_discussion_example(student):
    pq, qp = expect_tuple(student.discussion_example(), 2, what="discussion_example()")
    pq, qp = as_float(pq, what="KL(p || q)"), as_float(qp, what="KL(q || p)")
    if abs(pq - KL_QP) < 1e-4 and abs(qp - KL_PQ) < 1e-4:
        fail("The two numbers are swapped: return (KL(p || q), KL(q || p)).")
    expect_close(pq, KL_PQ, what="KL(p || q)")
    expect_close(qp, KL_QP, what="KL(q || p)")


@pytest.mark.grade("1.7", "forward-KL fit of a two-mode mixture is moment matching", points=1)
def test_forward_fit_example(student):
    w, m, s = torch.tensor([0.5, 0.5]), torch.tensor([-3.0, 3.0]), torch.tensor([1.0, 1.0])
    mu, sigma = expect_tuple(student.fit_forward_kl(w, m, s), 2, what="fit_forward_kl(...)")
    mu, sigma = as_float(mu, what="mu"), as_float(sigma, what="sigma")
    where = "weights (0.5, 0.5), means (-3, 3), stds (1, 1)"
    expect_close(mu, 0.0, what="mu", inputs=where, atol=1e-3)
    expect_close(sigma, math.sqrt(10.0), what="sigma", inputs=where, rtol=1e-3,
                 hint="sigma^2 = sum_i w_i (s_i^2 + m_i^2) - mu^2, and return sigma, not sigma^2")


@pytest.mark.grade("1.8", "reverse-KL fit settles on the mode it starts near (mode seeking)", points=2)
def test_reverse_fit_example(student, judge):
    w, m, s = torch.tensor([0.5, 0.5]), torch.tensor([-3.0, 3.0]), torch.tensor([1.0, 1.0])
    fit = expect_tuple(student.fit_reverse_kl(w, m, s, 2.5, 0.8), 2, what="fit_reverse_kl(...)")
    mu, sigma = as_float(fit[0], what="mu"), as_float(fit[1], what="sigma")
    problem = judge.local_minimum_problem(mu, sigma, (2.5, 0.8), w, m, s)
    if problem:
        fail(f"Started at (2.5, 0.8) on the mixture with means (-3, 3): {problem}.")
    if mu < 0:
        fail(f"Started at mu = 2.5, the descent should stay with the mode at +3, but it ended at mu = {mu:.3f}.")
