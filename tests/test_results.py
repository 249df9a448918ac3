"""results.json follows Gradescope's format; figures become HTML output and PNG files."""
from __future__ import annotations

import json

from autograder.records import TestRecord
from autograder.results import Results, failure_results, render_table, write_json

PNG = b"\x89PNG\r\n\x1a\nfake"


def test_gradescope_fields_and_sorting(tmp_path):
    tests = [TestRecord("1.10", "ten", 2, "visible", 2, "passed", ""),
             TestRecord("1.2", "two", 1, "after_published", 0, "failed", "expected 1 < 2")]
    results = Results(tests=tests, header="summary", execution_time=1.23456)
    data = results.to_gradescope()
    assert [t["number"] for t in data["tests"]] == ["1.2", "1.10"]
    assert data["score"] == 2 and data["execution_time"] == 1.235
    assert set(data["tests"][0]) == {"name", "number", "score", "max_score", "status", "visibility", "output"}
    write_json(data, tmp_path / "r" / "results.json")
    assert json.loads((tmp_path / "r" / "results.json").read_text()) == data
    assert "2/3" in render_table(results)


def test_figures_are_embedded_as_html_and_listed_as_files():
    record = TestRecord("2.1", "curve", 1, "visible", 1, "passed", "R < D <b>")
    record.images = [("rd.png", PNG, "rate-distortion")]
    results = Results(tests=[record])
    entry = results.to_gradescope()["tests"][0]
    assert entry["output_format"] == "html"
    assert "data:image/png;base64," in entry["output"] and "&lt;b&gt;" in entry["output"]
    assert results.images() == {"test-2.1-rd.png": PNG}


def test_failure_results_keep_the_maximum():
    data = failure_results("broken", 41)
    assert data["score"] == 0 and data["tests"][0]["max_score"] == 41
    assert failure_results("broken", None)["tests"] == []


def test_instructor_notes_are_a_hidden_zero_point_test():
    results = Results(tests=[TestRecord("1.1", "a", 1, "visible", 1, "passed", "")],
                      notes=["sandbox: student code ran as uid 999, network none"])
    notes = results.to_gradescope()["tests"][-1]
    assert notes["visibility"] == "hidden" and notes["max_score"] == 0 and "network none" in notes["output"]
    assert results.to_gradescope()["score"] == 1


def test_as_float_accepts_what_float_accepts():
    import numpy as np
    import pytest
    import torch

    from autograder.checks import GradingFailure, as_float

    for value in (0.25, 1, torch.tensor(0.25), torch.tensor([0.25]), np.float32(0.25), np.array([[0.25]])):
        assert as_float(value, what="x") == pytest.approx(0.25 if value != 1 else 1.0)
    for value in (True, torch.tensor([1.0, 2.0]), "0.25", None):
        with pytest.raises(GradingFailure):
            as_float(value, what="x")
