"""Student templates, generated from the reference solutions (the single source of truth).

In ``solutions/<slug>.py`` each answer sits between markers::

    # BEGIN SOLUTION (what the student should do)
    ...reference code...
    # END SOLUTION

The template replaces each region with ``# TODO: <what the student should do>`` and
``raise NotImplementedError``, at the region's indentation. ``# BEGIN SOLUTION NO PROMPT``
removes the region without a TODO (for solution-only helpers at module level).
"""
from __future__ import annotations

import re
from pathlib import Path

BEGIN = re.compile(r"^(?P<indent>\s*)# BEGIN SOLUTION(?P<rest>.*)$")
END = re.compile(r"^\s*# END SOLUTION\s*$")


class TemplateError(ValueError):
    pass


def hint_text(rest: str) -> str:
    """The TODO hint of a ``# BEGIN SOLUTION (hint)`` line: the text inside the one pair of
    parentheses around it, inner parentheses kept ("N(0, I)" keeps its closing one)."""
    rest = rest.strip()
    if rest.startswith("(") and rest.endswith(")") and _closes_at_end(rest):
        rest = rest[1:-1].strip()
    return rest or "implement this"


def _closes_at_end(text: str) -> bool:
    """True when the "(" that opens ``text`` is closed by its last character, not earlier
    ("(a) or (b)" is two groups, not one around "a) or (b")."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return i == len(text) - 1
    return False


def make_template(source: str, name: str = "<solution>") -> str:
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), 1):
        begin = BEGIN.match(line)
        if begin:
            if inside:
                raise TemplateError(f"{name}:{number}: BEGIN SOLUTION inside another region")
            inside = True
            rest = begin["rest"].strip()
            if rest != "NO PROMPT":
                out.append(f"{begin['indent']}# TODO: {hint_text(rest)}")
                out.append(f"{begin['indent']}raise NotImplementedError")
            continue
        if END.match(line):
            if not inside:
                raise TemplateError(f"{name}:{number}: END SOLUTION without BEGIN")
            inside = False
            continue
        if not inside:
            out.append(line)
    if inside:
        raise TemplateError(f"{name}: a solution region is not closed")
    return "\n".join(out) + "\n"


def template_for(solution: Path) -> str:
    return make_template(solution.read_text(), str(solution))


def write_templates(root: Path) -> list[Path]:
    """Regenerate ``student_template/`` from ``solutions/``; returns the files written."""
    written = []
    for solution in sorted((root / "solutions").glob("*.py")):
        target = root / "student_template" / solution.name
        target.parent.mkdir(exist_ok=True)
        text = template_for(solution)
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            written.append(target)
    return written
