"""Every sample submission under assignments/<assignment>/samples/ is graded as a student's
would be: correct variants (``# expect: full``) must get full marks, and each realistic
mistake (``# expect-fail: N.M ...``) must fail exactly the tests it names, no more, no less.
A wrong ``.py`` sample holds only its mistake and is graded as the module it builds
(tests/sample_builder.py): the reference with the sample's definitions put in."""
from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import pytest

from conftest import ROOT, build_sample, expected_failures, failed_numbers, grade_file
from sample_builder import (DEFINITIONS, all_samples, base_of, build, build_source, is_mutation, names_of,
                            sample_id, slug_of)

SAMPLES = all_samples()


@pytest.mark.parametrize("sample", SAMPLES, ids=[sample_id(p) for p in SAMPLES])
def test_sample_submission(sample: Path):
    slug = slug_of(sample)
    marker = sample if sample.is_file() and sample.suffix == ".py" else sample.with_suffix(".expect")
    expected = expected_failures(marker)
    results = grade_file(slug, sample)  # a wrong .py sample is built into a whole module first
    assert results.ok, results.output
    failed = failed_numbers(results)
    messages = {t.number: t.output for t in results.tests if t.status != "passed"}
    messages["top"] = "\n".join(results.messages)  # a load failure says why here
    if expected is None:
        assert results.score == results.max_score, f"a correct submission lost points: {messages}"
        if slug == "vae":  # the judge's held-out measure goes to Gradescope's leaderboard, lower first
            board = results.to_gradescope()["leaderboard"]
            assert [(e["name"], e["order"]) for e in board] == [("held-out negative ELBO (nats)", "asc")], board
            quality = next(t for t in results.tests if t.number == "2.8")  # its feedback states the same number
            assert f"Held-out negative ELBO (judge's loss, judge's noise): {board[0]['value']:.2f} nats" in quality.output
    else:
        assert failed == expected, (f"expected exactly {sorted(expected)} to fail, got {sorted(failed)}: "
                                    f"{messages}")
        for number in failed:
            assert messages[number].strip(), f"test {number} failed without a message"


# ----------------------------------------------------------------------------- wrong samples are mutations
MUTATIONS = [p for p in SAMPLES if is_mutation(p)]


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    return {name: node for node in tree.body if isinstance(node, DEFINITIONS) for name in names_of(node)}


def _without_docstrings(node: ast.AST) -> str:
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        if isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and len(sub.body) > 1 \
                and isinstance(sub.body[0], ast.Expr) and isinstance(sub.body[0].value, ast.Constant):
            sub.body = sub.body[1:]
    return ast.dump(node)


@pytest.mark.parametrize("sample", MUTATIONS, ids=[sample_id(p) for p in MUTATIONS])
def test_wrong_sample_is_a_minimal_mutation(sample: Path, tmp_path):
    """A wrong sample holds only what differs from the module it mutates, and builds into a
    module with every definition the reference has (less those it removes)."""
    tree = ast.parse(sample.read_text())
    assert ast.get_docstring(tree), "a wrong sample starts with a docstring that says what is wrong"
    expected_failures(sample)  # it has its expect-fail line
    base = _definitions(ast.parse(base_of(sample).read_text()))
    same = [name for name, node in _definitions(tree).items()
            if name in base and _without_docstrings(node) == _without_docstrings(base[name])]
    for name in " ".join(re.findall(r"^# patch:(.*)$", sample.read_text(), re.M)).split():
        members = {m: n for n in base[name].body if isinstance(n, DEFINITIONS) for m in names_of(n)}
        same += [f"{name}.{m}" for n in _definitions(tree)[name].body if isinstance(n, DEFINITIONS)
                 for m in names_of(n) if m in members and _without_docstrings(n) == _without_docstrings(members[m])]
    assert not same, f"{same}: the same as in {base_of(sample).name}; leave them out"
    built = build_sample(sample, tmp_path)
    assert built.name == sample.name and built.read_text() == build_source(sample)
    assert re.findall(r"^# expect.*$", built.read_text(), re.M) == re.findall(r"^# expect.*$", sample.read_text(), re.M)
    names = set(_definitions(ast.parse(built.read_text())))
    removed = set(" ".join(re.findall(r"^# remove:(.*)$", sample.read_text(), re.M)).split())
    assert names >= set(base) - removed and not names & removed


def test_correct_samples_and_other_files_are_graded_as_they_are(tmp_path):
    correct = next(p for p in SAMPLES if p.parent.name == "correct" and p.suffix == ".py")
    assert build_sample(correct, tmp_path) == correct and not any(tmp_path.iterdir())
    assert build_sample(ROOT / "solutions" / "vae.py", tmp_path) == ROOT / "solutions" / "vae.py"


BASE = '''"""The reference."""
from __future__ import annotations

import math

import torch


def f(x):
    """f's docstring."""
    # BEGIN SOLUTION
    return x + 1
    # END SOLUTION


LIMIT = 3


class Model(torch.nn.Module):
    """A model."""

    def __init__(self):
        super().__init__()
        self.scale = 2

    def forward(self, x):
        """Scaled."""
        return self.scale * x


def g(x):
    return f(x) * LIMIT


if __name__ == "__main__":
    print(g(1))
'''


def _env(source: str) -> dict:
    env: dict = {"__name__": "built"}
    exec(compile(source, "built", "exec"), env)
    return env


def test_builder_replaces_in_place_appends_new_definitions_and_keeps_the_rest():
    source = build('"""Wrong: f adds 2."""\n# expect-fail: 1.1\nimport numpy as np\n\n\n'
                   'def helper(x):\n    return np.float64(x)\n\n\n'
                   'def f(x):\n    return helper(x) + 2\n\n\nLIMIT = 4\n\n\ndef extra():\n    return 0\n', BASE)
    assert source.startswith("# Built by tests/sample_builder.py from the mutation:\n")
    tree = ast.parse(source)
    assert ast.get_docstring(tree) == "Wrong: f adds 2." and "# expect-fail: 1.1\n" in source
    assert isinstance(tree.body[1], ast.ImportFrom) and tree.body[1].module == "__future__"  # still first
    order = [getattr(n, "name", None) or ast.unparse(n).split("\n")[0] for n in tree.body[1:]]
    assert order == ["from __future__ import annotations", "import math", "import torch", "import numpy as np",
                     "helper", "f", "LIMIT = 4", "Model", "g", "extra", "if __name__ == '__main__':"]
    assert "# END SOLUTION" not in source  # the replaced function's trailing comments go with it
    env = _env(source)
    assert env["g"](1) == 12 and env["f"].__doc__ == "f's docstring."  # the template's docstring is kept
    assert env["Model"]().forward(3) == 6 and env["extra"]() == 0


def test_builder_removes_and_patches():
    source = build('"""Wrong."""\n# expect-fail: 2.1\n# remove: g\n# patch: Model\n\n\n'
                   'class Model(torch.nn.Module):\n    def forward(self, x):\n        return -x\n\n'
                   '    def reset(self):\n        self.scale = 0\n', BASE)
    env = _env(source)
    assert "g" not in env and env["Model"]().forward(3) == -3 and env["Model"]().scale == 2
    assert env["Model"].forward.__doc__ == "Scaled." and env["Model"].__doc__ == "A model."
    model = env["Model"]()
    model.reset()
    assert model.scale == 0
    whole = _env(build('"""Wrong."""\n# expect-fail: 2.1\n\n\nclass Model:\n    pass\n', BASE))["Model"]
    assert not hasattr(whole, "forward")  # without '# patch:' a class is replaced whole


def test_builder_takes_an_import_once_and_a_new_future_import_first():
    source = build('"""W."""\n# expect-fail: 1.1\nfrom __future__ import division\nimport math\n'
                   'from torch import nn\n\n\ndef f(x):\n    return math.floor(x)\n', BASE)
    lines = source.splitlines()
    assert lines.count("import math") == 1 and "from torch import nn" in lines
    assert lines.index("from __future__ import division") < lines.index("import math")
    assert _env(source)["f"](2.5) == 2


@pytest.mark.parametrize("mutation, message", [
    ('"""W."""\n# expect-fail: 1.1\nprint("hi")\n', "only imports and top-level definitions"),
    ('"""W."""\n# expect-fail: 1.1\n# remove: nothing_here\n', "has no top-level nothing_here"),
    ('"""W."""\n# expect-fail: 1.1\n# patch: f\n\n\ndef f(x):\n    return x\n', "class"),
    ('"""W."""\n# expect-fail: 1.1\n# patch: Model\n\n\nclass Model:\n    pass\n', "bases"),
    ('"""W."""\n# expect-fail: 1.1\n\n\ndef f(x):\n    return 1\n\n\ndef f(x):\n    return 2\n', "two definitions"),
])
def test_builder_refuses_what_it_cannot_apply(mutation, message):
    with pytest.raises(ValueError, match=message):
        build(mutation, BASE)
