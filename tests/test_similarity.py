"""Similar submissions (autograder/classroom/similarity.py): planted copies of the reference
kl_asymmetry solution (renamed variables and comments; one copied function; a notebook copy)
rank first and name the copied function, three independently written implementations are not
flagged, the untouched template and unreadable submissions are skipped, and the report's HTML
escapes the code it shows. Everything is real: real files, copydetect, autograder.submission."""
from __future__ import annotations

import ast
import re
import zipfile
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

from autograder.classroom.export import Entry
from autograder.course import load_assignment
from autograder.authoring.student_notebook import notebook_text
from autograder.classroom.similarity import THRESHOLD, Pair, similar_pairs, similarity_html, top_level_definitions
from autograder.authoring.templates import BEGIN, END, template_for

SLUG = "kl_asymmetry"


# --------------------------------------------------------------------------- three independent solutions
# Written apart from the reference (and from each other); each gives the reference's answers.
# Only their function bodies are handed in: :func:`_fill` puts them into the template, in place
# of its TODOs, as a student does (signatures and docstrings stay the template's).
# torch.where masks, L-BFGS on Gauss-Hermite quadrature
MASKS = '''"""kl_asymmetry, my version: masks and torch.where."""
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    """Entropy."""
    positive = p > 0
    logs = torch.where(positive, torch.log(p), torch.zeros_like(p))
    h = -(p * logs).sum(-1)
    return h / math.log(base)


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    """Cross-entropy."""
    support = p > 0
    # outside the support of p the term is zero, whatever q is
    safe_q = torch.where(support, q, torch.ones_like(q))
    contribution = torch.where(support, p * torch.log(safe_q), torch.zeros_like(p))
    return -contribution.sum(-1) / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    """KL."""
    support = p > 0
    log_ratio = torch.log(torch.where(support, p, torch.ones_like(p))) - torch.log(q)
    pieces = torch.where(support, p * log_ratio, torch.zeros_like(p))
    return pieces.sum(-1) / math.log(base)


def discussion_example() -> tuple[float, float]:
    """Discussion 13."""
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)
    q = torch.tensor([0.1, 0.9], dtype=torch.float64)
    forward = kl_divergence(p, q).item()
    backward = kl_divergence(q, p).item()
    return forward, backward


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    """Moment matching."""
    w = weights.to(torch.float64)
    m = means.to(torch.float64)
    mean = torch.dot(w, m)
    second_moment = torch.dot(w, stds.to(torch.float64) ** 2 + m ** 2)
    return mean.item(), math.sqrt(second_moment.item() - mean.item() ** 2)


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    """L-BFGS on Gauss-Hermite quadrature."""
    import numpy as np

    points, gh = np.polynomial.hermite_e.hermegauss(120)
    eps = torch.as_tensor(points, dtype=torch.float64)
    gh_weights = torch.as_tensor(gh / gh.sum(), dtype=torch.float64)
    mu = torch.tensor(float(init_mu), dtype=torch.float64, requires_grad=True)
    log_sigma = torch.tensor(math.log(init_sigma), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([mu, log_sigma], lr=1, max_iter=1000, tolerance_grad=1e-12,
                                  tolerance_change=1e-15, line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        xs = mu + log_sigma.exp() * eps
        log_p = mixture_log_prob(xs, weights.double(), means.double(), stds.double())
        loss = -log_sigma - (gh_weights * log_p).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return mu.item(), log_sigma.exp().item()
'''


# torch.special.entr / xlogy, closed forms, gradient descent on Monte Carlo draws
XLOGY = '''"""kl_asymmetry by another student: torch.special.xlogy everywhere, closed forms."""
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    """Entropy."""
    nats = torch.special.entr(p).sum(dim=-1)  # entr(x) = -x log x, 0 at x = 0
    return nats / math.log(base) if base != math.e else nats


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    """Cross-entropy."""
    total = torch.zeros(p.shape[:-1], dtype=p.dtype, device=p.device)
    for k in range(p.shape[-1]):
        total = total - torch.special.xlogy(p[..., k], q[..., k])
    return total / math.log(base)


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    """KL."""
    return cross_entropy(p, q, base) - entropy(p, base)


def discussion_example() -> tuple[float, float]:
    """Discussion 13, by hand."""
    pk, qk = (0.5, 0.5), (0.1, 0.9)
    kl_pq = sum(a * math.log(a / b) for a, b in zip(pk, qk))
    kl_qp = sum(b * math.log(b / a) for a, b in zip(pk, qk))
    return kl_pq, kl_qp


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    """Law of total variance."""
    w = weights.double() / weights.double().sum()
    mu = float(torch.sum(w * means.double()))
    within = float(torch.sum(w * stds.double().pow(2)))
    between = float(torch.sum(w * (means.double() - mu).pow(2)))
    return mu, math.sqrt(within + between)


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    """Plain gradient descent on fixed Monte Carlo draws."""
    gen = torch.Generator().manual_seed(0)
    draws = torch.randn(200_000, generator=gen, dtype=torch.float64)
    draws = torch.cat([draws, -draws])  # antithetic: the mean of the draws is exactly 0
    theta = torch.tensor([init_mu, math.log(init_sigma)], dtype=torch.float64, requires_grad=True)
    lr = 0.2
    for iteration in range(20_000):
        sigma = torch.exp(theta[1])
        objective = -theta[1] - mixture_log_prob(theta[0] + sigma * draws, weights.double(),
                                                 means.double(), stds.double()).mean()
        g, = torch.autograd.grad(objective, theta)
        if g.abs().max() < 1e-7:
            break
        with torch.no_grad():
            theta -= lr * g
    return theta[0].item(), torch.exp(theta[1]).item()
'''


# boolean indexing and loops, Newton steps on a trapezoid quadrature
LOOPS = '''"""kl_asymmetry: a third way, log-space with explicit masks and loops."""
from __future__ import annotations

import math

import torch
from torch import Tensor


def entropy(p: Tensor, base: float = math.e) -> Tensor:
    """Entropy."""
    out = torch.zeros_like(p)
    nz = p != 0
    out[nz] = p[nz] * p[nz].log()
    return out.sum(dim=-1).neg().div(math.log(base))


def cross_entropy(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    """Cross-entropy."""
    p, q = torch.broadcast_tensors(p, q)
    out = torch.zeros_like(p)
    nz = p != 0
    out[nz] = p[nz] * q[nz].log()
    return out.sum(dim=-1).neg().div(math.log(base))


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    """KL."""
    p, q = torch.broadcast_tensors(p, q)
    out = torch.zeros_like(p)
    nz = p != 0
    out[nz] = p[nz] * (p[nz].log() - q[nz].log())
    return out.sum(dim=-1).div(math.log(base))


def discussion_example() -> tuple[float, float]:
    """Discussion 13 as one batch of two pairs."""
    dists = torch.tensor([[0.5, 0.5], [0.1, 0.9]], dtype=torch.float64)
    both = kl_divergence(dists, dists.flip(0))
    return both[0].item(), both[1].item()


def fit_forward_kl(weights: Tensor, means: Tensor, stds: Tensor) -> tuple[float, float]:
    """Moments, with Python loops."""
    mu = 0.0
    for wi, mi in zip(weights.tolist(), means.tolist()):
        mu += wi * mi
    var = 0.0
    for wi, mi, si in zip(weights.tolist(), means.tolist(), stds.tolist()):
        var += wi * (si * si + (mi - mu) ** 2)
    return mu, var ** 0.5


def fit_reverse_kl(weights: Tensor, means: Tensor, stds: Tensor,
                   init_mu: float, init_sigma: float) -> tuple[float, float]:
    """Newton steps on a trapezoid quadrature in x."""
    grid = torch.linspace(-8, 8, 3201, dtype=torch.float64)
    normal = torch.exp(-grid ** 2 / 2) / math.sqrt(2 * math.pi)

    def objective(v):
        x = v[0] + torch.exp(v[1]) * grid
        integrand = normal * mixture_log_prob(x, weights.double(), means.double(), stds.double())
        return -v[1] - torch.trapezoid(integrand, grid)

    v = torch.tensor([float(init_mu), math.log(float(init_sigma))], dtype=torch.float64)
    for _ in range(200):
        grad = torch.autograd.functional.jacobian(objective, v)
        if grad.norm() < 1e-9:
            break
        hess = torch.autograd.functional.hessian(objective, v)
        try:
            step = torch.linalg.solve(hess, grad)
            if grad.dot(step) <= 0:
                raise RuntimeError("not a descent direction")
        except RuntimeError:
            step = grad
        t = 1.0
        while objective(v - t * step) > objective(v) - 1e-4 * t * grad.dot(step) and t > 1e-10:
            t /= 2
        v = v - t * step
    return float(v[0]), float(torch.exp(v[1]))
'''


# --------------------------------------------------------------------------- the class
def _rename(code: str, names: dict[str, str]) -> str:
    """``code`` with whole-word identifiers replaced (what a student hiding a copy does first)."""
    for old, new in names.items():
        code = re.sub(rf"\b{old}\b", new, code)
    return code


def _fill(template: str, code: str) -> str:
    """The template with each function's TODO replaced by the body (docstring aside) of the same
    function in ``code``: what a student who wrote ``code`` hands in."""
    lines = code.splitlines()
    for node in ast.parse(code).body:
        if isinstance(node, ast.FunctionDef):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            own = "\n".join(lines[body[0].lineno - 1:node.end_lineno])
            handed_out = top_level_definitions(template)[node.name]
            filled, count = re.subn(r"^    # TODO: .*\n    raise NotImplementedError$", lambda _: own,
                                    handed_out, flags=re.M)
            assert count == 1, node.name
            template = template.replace(handed_out, filled)
    assert "raise NotImplementedError" not in template.split("\ndef main")[0]
    return template


def _with_function(code: str, name: str, replacement: str) -> str:
    """``code`` with its top-level function ``name`` replaced by ``replacement``."""
    original = top_level_definitions(code)[name]
    assert original in code
    return code.replace(original, replacement)


@pytest.fixture(scope="module")
def assignment():
    return load_assignment(ROOT, SLUG)


@pytest.fixture(scope="module")
def reference(assignment) -> str:
    """The reference solution as a student would hand it in: the solution markers removed."""
    lines = assignment.solution.read_text().splitlines()
    return "\n".join(line for line in lines if not (BEGIN.match(line) or END.match(line))) + "\n"


@pytest.fixture(scope="module")
def klass(assignment, reference, tmp_path_factory) -> dict[str, Entry]:
    """A class of ten submissions, in every form batch meets (a .py, a folder, a zip, a notebook)."""
    root = tmp_path_factory.mktemp("class")
    template = template_for(assignment.solution)
    masks, xlogy, loops = (_fill(template, code) for code in (MASKS, XLOGY, LOOPS))

    def write(name: str, text: str) -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    # (a) a copy of the reference with its variables renamed and its comments rewritten, one
    # of which would run as HTML in the report if it were not escaped
    bob = _rename(reference, {"terms": "plogp", "nodes": "grid_points", "coeffs": "quad_weights",
                              "params": "theta", "variance": "var", "grad": "g", "step": "lr"})
    bob = bob.replace("# Quadrature on a fine grid: E_{eps ~ N(0,1)}[f(eps)] ~= sum_i c_i f(t_i)",
                      "# my own idea <script>alert('copied')</script>")
    bob = bob.replace("# Gradient descent with a backtracking (Armijo) step: every step lowers the KL.",
                      "# descend, halving the step until it improves")
    assert bob.count("<script>") == 1 and "grid_points" in bob
    # (b) an independent solution, except for fit_reverse_kl copied from the reference (renamed)
    copied = _rename(top_level_definitions(reference)["fit_reverse_kl"],
                     {"nodes": "eps_grid", "coeffs": "c", "params": "x0", "kl": "loss"})
    carol = _with_function(loops, "fit_reverse_kl", copied)
    # (notebook) XLOGY's functions, renamed, pasted into the cells of the student notebook
    gina_code = _rename(xlogy, {"draws": "samples", "theta": "z", "total": "acc", "nats": "h"})
    notebook = nbformat.reads(notebook_text(assignment), as_version=4)
    for cell in notebook.cells:
        role = cell.metadata.get("autograder", {})
        if role.get("role") == "function":
            cell.source = top_level_definitions(gina_code)[role["function"]]
    erin_zip = root / "erin.zip"
    with zipfile.ZipFile(erin_zip, "w") as zf:
        zf.writestr("erin/kl_asymmetry.py", xlogy)

    people = {
        "alice": ([{"name": "Alice <Admin>", "email": "alice@example.edu"},
                   {"name": "Zoe", "email": "zoe@example.edu"}], write("alice.py", reference)),  # a group of two
        "bob": ([{"name": "Bob", "email": "bob@example.edu"}], write("bob.py", bob)),
        "carol": ([{"name": "Carol", "email": "carol@example.edu"}], write("carol.py", carol)),
        "dan": ([{"name": "Dan", "email": "dan@example.edu"}], write(f"dan/{SLUG}.py", masks).parent),
        "erin": ([{"name": "Erin", "email": "erin@example.edu"}], erin_zip),
        "gina": ([{"name": "Gina", "email": "gina@example.edu"}],
                 write(f"gina/{SLUG}.ipynb", nbformat.writes(notebook)).parent),
        "henry": ([{"name": "Henry", "email": "henry@example.edu"}], write("henry.py", template)),
        "ivan": ([{"name": "Ivan", "email": "ivan@example.edu"}], write("ivan.txt", reference)),  # not a submission
        "jack": ([{"name": "Jack", "email": "jack@example.edu"}], write("jack.zip", "not a zip")),
        "kim": ([{"name": "Kim", "email": "kim@example.edu"}], write("kim.py", reference[:3000] + "def (:\n")),
    }
    return {id: Entry(id, path, students) for id, (students, path) in people.items()}


@pytest.fixture(scope="module")
def every_pair(assignment, klass) -> list[Pair]:
    """Every pair compared (threshold 0), best first."""
    return similar_pairs(assignment, list(klass.values()), top=1000, threshold=0.0)


@pytest.fixture(scope="module")
def flagged(assignment, klass) -> list[Pair]:
    return similar_pairs(assignment, list(klass.values()))


def _ids(pair: Pair) -> frozenset[str]:
    return frozenset((pair.id_a, pair.id_b))


def _find(pairs: list[Pair], a: str, b: str) -> Pair:
    return next(p for p in pairs if _ids(p) == {a, b})


PLANTED = {frozenset(("alice", "bob")), frozenset(("alice", "carol")), frozenset(("bob", "carol")),
           frozenset(("erin", "gina"))}  # bob and carol both hold the reference's fit_reverse_kl


# --------------------------------------------------------------------------- tests
def test_planted_copies_are_flagged_and_rank_first(flagged, every_pair):
    for pair in every_pair:
        print(f"{pair.id_a:6} {pair.id_b:6} {pair.score:.2f} "
              + " ".join(f"{f.name}={f.score:.2f}" for f in pair.functions))
    assert {_ids(p) for p in flagged} == PLANTED
    assert {_ids(p) for p in every_pair[:len(PLANTED)]} == PLANTED
    scores = [p.score for p in every_pair]
    assert scores == sorted(scores, reverse=True)
    # whole copies (renamed, comments rewritten; the notebook) are nearly entirely in common
    assert _find(flagged, "alice", "bob").score > 0.9
    assert _find(flagged, "erin", "gina").score > 0.9
    top = flagged[0]
    assert {top.student_a, top.student_b} <= {"Alice <Admin>; Zoe", "Bob", "Erin", "Gina"}


def test_the_per_function_view_names_the_copied_function(flagged):
    pair = _find(flagged, "alice", "carol")
    best = pair.functions[0]
    assert best.name == "fit_reverse_kl" and best.score > 0.9
    assert "def fit_reverse_kl" in best.code_a and "def fit_reverse_kl" in best.code_b
    assert "eps_grid" in (best.code_a + best.code_b)  # carol's renamed copy is the one shown
    assert best.spans_a and best.spans_b  # the matching code, to highlight
    # the functions carol wrote herself are not alike the reference's
    assert all(f.score < THRESHOLD for f in pair.functions[1:])
    # a whole copy: every function carries its share
    whole = _find(flagged, "alice", "bob")
    assert {f.name for f in whole.functions if f.score > 0.9} >= {"fit_forward_kl", "fit_reverse_kl", "entropy"}


def test_independent_solutions_are_not_flagged(every_pair):
    independent = [p for p in every_pair if _ids(p) not in PLANTED]
    assert independent, "the independent solutions were compared"
    assert max(p.score for p in independent) < THRESHOLD - 0.15
    compared = {_ids(p) for p in independent}
    assert {frozenset(("alice", "dan")), frozenset(("alice", "erin")), frozenset(("dan", "erin")),
            frozenset(("carol", "dan")), frozenset(("carol", "erin"))} <= compared


def test_the_template_and_unreadable_submissions_are_skipped(every_pair):
    seen = {id for p in every_pair for id in _ids(p)}
    assert seen == {"alice", "bob", "carol", "dan", "erin", "gina"}
    # henry (the untouched template), ivan (.txt), jack (a broken zip), kim (does not compile) are
    # left out, and nothing crashed on them


def test_a_notebook_is_compared_as_its_code(every_pair):
    pair = _find(every_pair, "erin", "gina")
    assert pair.score > 0.9
    gina_side = {f.name: (f.code_b if pair.id_b == "gina" else f.code_a) for f in pair.functions}
    assert "samples" in gina_side["fit_reverse_kl"]  # the code from the notebook's cell
    assert all("__notebook_cells__" not in code for code in gina_side.values())


def test_a_group_is_never_paired_with_itself_nor_with_its_own_resubmission(assignment, klass):
    alice = klass["alice"]
    again = Entry("alice-2", alice.path, [{"name": "Zoe", "email": "ZOE@example.edu"}])  # a member resubmits
    pairs = similar_pairs(assignment, [alice, alice, again, klass["bob"]], threshold=0.0)
    assert all(p.id_a != p.id_b for p in pairs)
    assert {_ids(p) for p in pairs} == {frozenset(("alice", "bob")), frozenset(("alice-2", "bob"))}


def test_top_keeps_the_best(assignment, klass, every_pair):
    best = similar_pairs(assignment, list(klass.values()), top=2, threshold=0.0)
    assert [(p.id_a, p.id_b, p.score) for p in best] == [(p.id_a, p.id_b, p.score) for p in every_pair[:2]]
    assert similar_pairs(assignment, [klass["henry"], klass["ivan"]]) == []


def test_the_html_shows_code_side_by_side_and_escaped(flagged):
    page = similarity_html(flagged)
    assert page.startswith("<h2>Similar submissions</h2>")
    assert page.count("<details>") == len(flagged)
    assert "<script>" not in page and "&lt;script&gt;alert(" in page
    assert "Alice &lt;Admin&gt;" in page and "<Admin>" not in page
    assert "grid-template-columns:1fr 1fr" in page and "monospace" in page
    assert "<mark>" in page and "fit_reverse_kl" in page
    assert "never a grade change" in page
    assert similarity_html([]) == ""
