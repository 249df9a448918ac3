"""The statement conventions (``assignments/<slug>/README.md``) the notebook builder and the
written answers rely on: sections at ``#``, ``##`` and ``###`` headings (not inside code fences),
a section whose heading says "questions" holding the written questions as a numbered list, and
images linked beside the statement. See docs/writing-assignments.md."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .course import Assignment


ANSWER_TAG = "manual-answer"  # Markdown cells where students answer the written questions


ANSWER_PLACEHOLDER = "*Your answer here* (double-click this cell to edit it; Markdown and $\\LaTeX$ work)."


QUESTION_HEADING = re.compile(r"\bquestions?\b", re.IGNORECASE)


HEADING = re.compile(r"^(#{1,3})\s+\S")


FENCE = re.compile(r"^\s*(```|~~~)")


ITEM = re.compile(r"^(\d+)[.)]\s+\S")


@dataclass
class Section:
    heading: str  # the heading line ("" for text before the first heading)
    body: str

    @property
    def text(self) -> str:
        return "\n\n".join(x for x in (self.heading, self.body.strip("\n")) if x).strip() + "\n"

    @property
    def is_questions(self) -> bool:
        return bool(self.heading) and bool(QUESTION_HEADING.search(self.heading.lstrip("#")))


def split_statement(markdown: str) -> list[Section]:
    """Split Markdown at headings of levels 1 to 3 (not inside fenced code)."""
    sections: list[Section] = []
    heading, body, fenced = "", [], False
    for line in markdown.splitlines():
        if FENCE.match(line):
            fenced = not fenced
        if not fenced and HEADING.match(line):
            if heading or any(b.strip() for b in body):
                sections.append(Section(heading, "\n".join(body)))
            heading, body = line.rstrip(), []
        else:
            body.append(line)
    if heading or any(b.strip() for b in body):
        sections.append(Section(heading, "\n".join(body)))
    return sections


def split_questions(body: str) -> tuple[str, list[str]]:
    """The text before the first numbered item, and the items (with their continuation lines)."""
    intro: list[str] = []
    items: list[list[str]] = []
    for line in body.splitlines():
        if ITEM.match(line):
            items.append([line])
        elif items:
            items[-1].append(line)
        else:
            intro.append(line)
    questions = ["\n".join(item).strip() for item in items]
    if not questions and body.strip():
        return "", [body.strip()]
    return "\n".join(intro).strip(), questions


def statement_images(assignment: Assignment) -> list[str]:
    """The images the statement shows (``![...](path)`` with a relative path to a file of the
    assignment folder), as paths relative to that folder: whoever ships the statement (the
    bundle's README.md, a notebook) puts them beside it, or its links break."""
    if not assignment.statement.exists():
        return []
    found = []
    for link in re.findall(r"!\[[^\]]*\]\(\s*([^)\s]+)", assignment.statement.read_text()):
        path = (assignment.folder / link).resolve()
        if "://" not in link and path.is_file() and path.is_relative_to(assignment.folder.resolve()):
            found.append(path.relative_to(assignment.folder.resolve()).as_posix())
    return sorted(set(found))

