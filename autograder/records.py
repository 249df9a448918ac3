"""A graded test's record, shared by the plugin that fills it and the results that report it.
Kept apart from the plugin so that writing results imports neither pytest nor torch."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TestRecord:
    __test__ = False  # not a pytest test class

    number: str
    name: str
    max_score: float
    visibility: str
    score: float = 0.0
    status: str = "failed"
    output: str = "Not run."
    ran: bool = False
    images: list = field(default_factory=list)  # (file name, PNG bytes, alt text)
    seconds: float = 0.0  # time in the test (setup and call), for benchmarks


def number_key(number: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in number.replace("-", ".").split("."))
