"""student_template/ is generated from solutions/: it must never drift, and the template
machinery itself must keep what is outside solution regions."""
from __future__ import annotations

import pytest

from autograder.authoring.templates import TemplateError, make_template
from conftest import ROOT


@pytest.mark.parametrize("solution", sorted((ROOT / "solutions").glob("*.py")), ids=lambda p: p.name)
def test_committed_template_matches_solution(solution):
    from autograder.authoring.templates import template_for

    template = ROOT / "student_template" / solution.name
    assert template.exists(), f"run `autograder templates` to create {template.name}"
    assert template.read_text() == template_for(solution), (
        f"student_template/{solution.name} is out of date: run `autograder templates`")
    assert "BEGIN SOLUTION" not in template.read_text()


def test_regions_become_todos_at_their_indentation():
    source = ("def f(x):\n    '''doc'''\n    # BEGIN SOLUTION (square x)\n    return x * x\n    # END SOLUTION\n"
              "# BEGIN SOLUTION NO PROMPT\nSECRET = 1\n# END SOLUTION\nKEPT = 2\n")
    assert make_template(source) == ("def f(x):\n    '''doc'''\n    # TODO: square x\n"
                                     "    raise NotImplementedError\nKEPT = 2\n")


@pytest.mark.parametrize("source", [
    "# BEGIN SOLUTION\nx = 1\n",
    "# END SOLUTION\n",
    "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n",
])
def test_malformed_regions_are_errors(source):
    with pytest.raises(TemplateError):
        make_template(source)
