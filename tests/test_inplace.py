"""Changing an input in place fails the test, whatever the test (issue 16, section 3): the child
compares every tensor argument's bytes before and after each call (autograder/sandbox/child.py)
and the session (autograder/proxy.py, Session.call) fails a call that changed one, naming the
argument, unless the test allows it with ``inplace_ok``."""
from __future__ import annotations

import ast
import textwrap

import pytest

from conftest import ROOT, failed_numbers, grade_file


# ----------------------------------------------------------------------------- names and messages
def test_parameter_names():
    from autograder.proxy import _parameter_names

    source = textwrap.dedent('''
        def entropy(p, base=2.0, *, out=None): ...
        def entropy(probs, base=2.0): ...  # the last definition wins, as in Python
        def star(*args): ...
        class VAE:
            def __init__(self, x_dim, z_dim): ...
        ''')
    assert _parameter_names(source, "entropy") == ["probs", "base"]
    assert _parameter_names(source, "star") == []
    assert _parameter_names(source, "VAE") == ["x_dim", "z_dim"]
    assert _parameter_names(source, "missing") == []
    assert _parameter_names("def broken(:", "broken") == []
    assert _parameter_names("def entry(module, case, theta, v): ...", "entry", skip=1) == ["case", "theta", "v"]


def test_messages_name_the_arguments():
    from autograder.proxy import ChangedInPlace

    one = ChangedInPlace("entropy", [(0, "p")]).public
    assert one.startswith("`entropy` changed its argument `p` in place (the conventions forbid modifying "
                          "inputs); work on a copy or use out-of-place operations"), one
    assert "arguments `p` and `q`" in ChangedInPlace("kl_divergence", [(0, "p"), (1, "q")]).public
    assert "changed its first argument and argument `q`" in ChangedInPlace("f", [(0, None), (1, "q")]).public
    assert "argument number 12" in ChangedInPlace("f", [(11, None)]).public
    helper = ChangedInPlace("sample_gaussian", [(2, "eps")], through_helper=True).public
    assert helper.startswith("While the grader ran `sample_gaussian`, your code changed the grader's argument "
                             "`eps` in place"), helper


# ----------------------------------------------------------------------------- the engine, end to end
def _tiny_course(tmp_path):
    course = tmp_path / "course"
    folder = course / "assignments" / "tiny"
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text('title = "Tiny"\n')
    (folder / "helpers.py").write_text(textwrap.dedent('''
        def through(module, data, k):
            return module.scale(data, k)
        '''))
    (folder / "test_public.py").write_text(textwrap.dedent('''
        from pathlib import Path

        import pytest
        import torch

        from autograder.proxy import Helper

        helper = Helper.from_file(Path(__file__).with_name("helpers.py"))
        X = torch.tensor([1.0, 2.0])

        @pytest.mark.grade("1.1", "plain call", points=1)
        def test_plain(student):
            assert torch.equal(student.scale(X, 2.0), 2 * X)

        @pytest.mark.grade("1.2", "the test allows the change", points=1)
        def test_allowed(student):
            assert torch.equal(student.call("scale", X, 2.0, inplace_ok=("x",)).value, 2 * X)
            assert torch.equal(student.call("scale", X, 2.0, inplace_ok=(0,)).value, 2 * X)

        @pytest.mark.grade("1.3", "through a helper", points=1)
        def test_helper(student):
            assert torch.equal(student.run(helper, "through", X, 2.0, function="scale").value, 2 * X)

        @pytest.mark.grade("1.4", "a function without named parameters", points=1)
        def test_star(student):
            assert torch.equal(student.star(X, X), 2 * X)

        @pytest.mark.grade("1.5", "an unchanged argument", points=1)
        def test_unchanged(student):
            assert torch.equal(student.copy_then_scale(X, 2.0), 2 * X)
        '''))
    return course


def test_engine_fails_every_call_that_changes_an_argument(tmp_path):
    from autograder.course import load_assignment
    from autograder.grading import grade

    course = _tiny_course(tmp_path)
    submission = tmp_path / "tiny.py"
    submission.write_text(textwrap.dedent('''
        def scale(x, k):
            return x.mul_(k)

        def star(*args):
            args[1].add_(args[0])
            return args[1]

        def copy_then_scale(x, k):
            x = x.clone()
            x *= k
            return x
        '''))
    results = grade(load_assignment(course, "tiny"), submission, device="cpu")
    assert results.ok, results.output
    out = {t.number: t.output for t in results.tests}
    assert failed_numbers(results) == {"1.1", "1.3", "1.4"}, out
    assert out["1.1"].startswith("`scale` changed its argument `x` in place"), out["1.1"]
    assert out["1.3"].startswith("While the grader ran `scale`, your code changed the grader's argument `data` "
                                 "in place"), out["1.3"]
    assert out["1.4"].startswith("`star` changed its second argument in place"), out["1.4"]


# ----------------------------------------------------------------------------- every assignment
def mutating_reference(slug: str) -> str:
    """The reference solution, wrapped: every student function computes the right answer, then
    adds 1 to every tensor it was given positionally (flips booleans). Only the in-place change
    can fail a test."""
    from autograder.trivial import student_functions

    reference = (ROOT / "solutions" / f"{slug}.py").read_text()
    template = (ROOT / "student_template" / f"{slug}.py").read_text()
    names = [f.name for f in student_functions(template)]
    classes = [n.name for n in ast.parse(template).body if isinstance(n, ast.ClassDef)]
    lines = ["import torch as _torch", "", f"_REFERENCE = {reference!r}",
             "_ns = {'__name__': 'reference_inside'}", "exec(compile(_REFERENCE, 'reference', 'exec'), _ns)", "",
             "def _wrap(name):",
             "    def wrapped(*args, **kwargs):",
             "        value = _ns[name](*args, **kwargs)",
             "        with _torch.no_grad():",
             "            for a in args:",
             "                if isinstance(a, _torch.Tensor) and a.numel():",
             "                    a.logical_not_() if a.dtype == _torch.bool else a.add_(1)",
             "        return value",
             "    return wrapped", ""]
    lines += [f"{name} = _wrap({name!r})" for name in names]
    lines += [f"{name} = _ns[{name!r}]" for name in classes]
    return "\n".join(lines) + "\n"


# Tests that pass no tensor positionally to a student function (or only copies, through a helper).
NOT_CALLED_WITH_TENSORS = {
    "kl_asymmetry": {"1.6"},  # discussion_example()
    "reparameterization": {"2.4"},  # sample_with_grads clones mu and log_var (an in-place change on
                                    # those leaves raises in autograd), and no eps is given
}


# Tests whose grader helper backpropagates through a tensor the student changed after using it: autograd
# raises in the helper, and the child reports the error without `mutated` (see the report of issue 16).
AUTOGRAD_FIRST = {"reparameterization": {"1.2", "2.3"}}


@pytest.mark.parametrize("slug", [
    "kl_asymmetry", "reparameterization", "differential_entropy",
    pytest.param("elbo_bound", marks=pytest.mark.xfail(
        reason="elbo_bound's `repeat` child helper passes the arguments as one list: the child does not snapshot "
               "tensors nested in lists yet, and the repeated calls see the changed inputs", strict=False))])
def test_every_test_fails_a_changed_input(slug, tmp_path):
    """The reference, changing its inputs after computing the right answers, fails every test
    that hands a tensor to a student function, each with the in-place message. (vae and
    rate_distortion train models in most tests: left out to keep the suite short.)"""
    path = tmp_path / f"{slug}.py"
    path.write_text(mutating_reference(slug))
    results = grade_file(slug, path)
    assert results.ok, results.output
    messages = {t.number: t.output for t in results.tests if t.status != "passed"}
    assert messages, f"{slug}: no test noticed the changed inputs"
    for number, text in messages.items():
        if number in AUTOGRAD_FIRST.get(slug, ()) and "raised RuntimeError" in text:
            continue
        assert "in place (the conventions forbid modifying inputs)" in text, (number, text)
    if slug in NOT_CALLED_WITH_TENSORS:
        everything = {t.number for t in results.tests}
        assert set(messages) == everything - NOT_CALLED_WITH_TENSORS[slug], sorted(messages)
