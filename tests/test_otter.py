"""The Otter-Grader export, for real: `otter assign` accepts the master notebook built by
`autograder build`, and `otter run` gives the solution full marks and the student notebook 0.
Skipped where otter-grader is not installed (CI); see docs/otter.md."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

otter = pytest.importorskip("otter", reason="otter-grader is not installed (optional extra: pip install -e \".[otter]\")")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (optional extra otter)")

SLUGS = ["kl_asymmetry", "reparameterization", "elbo_bound", "vae", "rate_distortion", "differential_entropy"]


def _otter(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, "-m", "otter", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module", params=SLUGS)
def assigned(request, tmp_path_factory):
    from autograder.authoring.build import build
    from autograder.course import load_assignment

    slug = request.param
    out = tmp_path_factory.mktemp("dist")
    assignment = load_assignment(ROOT, slug)
    build(assignment, out)
    folder = out / slug / "otter"
    proc = _otter("assign", "-v", f"{slug}-master.ipynb", "out", cwd=folder)  # also runs the tests on the solution
    assert "All autograder tests passed" in proc.stdout + proc.stderr
    (zip_path,) = (folder / "out" / "autograder").glob("*.zip")
    return slug, assignment, folder / "out", zip_path


def _score(results: Path) -> tuple[float, float]:
    tests = [t for t in json.loads(results.read_text())["tests"] if "max_score" in t]
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


def test_student_side_has_no_reference_and_no_hidden_tests(assigned):
    slug, assignment, out, _ = assigned
    student = out / "student"
    names = [p.relative_to(student).as_posix() for p in student.rglob("*") if p.is_file()]
    assert not [n for n in names if "solutions/" in n or "test_hidden" in n]
    text = (student / f"{slug}-master.ipynb").read_text()
    assert "test_hidden" not in text and "raise NotImplementedError" in text
    # no line of the reference's solution regions reaches the student notebook
    from autograder.authoring.templates import BEGIN, END

    inside, secret = False, []
    for line in assignment.solution.read_text().splitlines():
        if BEGIN.match(line) or END.match(line):
            inside = bool(BEGIN.match(line))
        elif inside and len(line.strip()) > 20 and not line.strip().startswith("#"):
            secret.append(line.strip())
    cells = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
    assert secret and not [line for line in secret if line in cells]


@pytest.mark.parametrize("which", ["autograder", "student"])
def test_otter_run(assigned, tmp_path, which):
    slug, assignment, out, zip_path = assigned
    _otter("run", "-a", str(zip_path), "-o", str(tmp_path), str(out / which / f"{slug}-master.ipynb"), cwd=tmp_path)
    total = float(assignment.total_points)
    assert _score(tmp_path / "results.json") == (total if which == "autograder" else 0.0, total)
