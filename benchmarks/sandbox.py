"""Grading time and memory with this engine against another checkout of it, side by side:
alternating runs on the same reference solutions, so both see the same machine load.

    python benchmarks/sandbox.py --other /tmp/old-engine [--repeat 3] [ASSIGNMENT ...]

``--other`` is a checkout of an earlier commit (``git worktree add /tmp/old-engine ecf573c``:
the engine before the jail). Each run is `autograder grade` as a subprocess with
``PYTHONPATH`` pointing at one tree; the course (tests, solutions) is always this one's.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, measure, table  # noqa: E402


def grade_once(engine: Path, slug: str) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PYTHONPATH=str(engine))
        m = measure([sys.executable, "-m", "autograder", "grade", slug, str(ROOT / "solutions" / f"{slug}.py"),
                     "--course", str(ROOT), "--results", f"{tmp}/r.json", "--device", "cpu", "--quiet"],
                    cwd=Path(tmp), env=env)
        score = json.loads(Path(f"{tmp}/r.json").read_text())["score"]
    return m.wall, m.peak_mb, score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--other", required=True, type=Path, help="checkout of the engine to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from autograder.course import list_assignments

    rows = []
    for slug in args.assignments or list_assignments(ROOT):
        runs = {"other": [], "this": []}
        for _ in range(args.repeat):
            for name, tree in (("other", args.other), ("this", ROOT)):
                runs[name].append(grade_once(tree, slug))
        med = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
        peak = {k: max(r[1] for r in v) for k, v in runs.items()}
        rows.append([slug, f"{runs['other'][0][2]:g} / {runs['this'][0][2]:g}", med["other"], med["this"],
                     f"{med['this'] / med['other']:.2f}", peak["other"], peak["this"]])
    print(f"Machine: {machine()}; median of {args.repeat} alternating runs; other = {args.other}\n")
    print(table(["assignment", "score other / this", "wall s other", "wall s this", "ratio",
                 "peak MB other", "peak MB this"], rows))


if __name__ == "__main__":
    main()
