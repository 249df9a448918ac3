"""Per-submission grading time and memory for each assignment's reference solution.

    python benchmarks/grading.py [--repeat 3] [--one-core] [ASSIGNMENT ...]

Runs `autograder grade` as a subprocess (as Gradescope does), and reports wall and CPU
seconds, the peak resident memory of the judge and child together, and where the time
went: interpreter and imports in the judge, child start-ups (interpreter, torch and the
submission), and the tests. `--one-core` pins everything to one core (taskset), closer
to Gradescope's half CPU.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, measure, table  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one-core", action="store_true")
    args = parser.parse_args()
    from autograder.course import list_assignments

    slugs = args.assignments or list_assignments(ROOT)
    prefix = ["taskset", "-c", "0"] if args.one_core else []
    imports = [measure(prefix + [sys.executable, "-c", "import torch, autograder.grading"]) for _ in range(args.repeat)]
    judge_start = statistics.median(m.wall for m in imports)
    rows = []
    for slug in slugs:
        runs, splits = [], []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                timings = Path(tmp) / "timings.json"
                m = measure(prefix + [sys.executable, "-m", "autograder", "grade", slug, f"solutions/{slug}.py",
                                      "--results", f"{tmp}/results.json", "--timings", str(timings),
                                      "--device", "cpu", "--quiet"])
                score = json.loads(Path(f"{tmp}/results.json").read_text())
                runs.append((m, score["score"], sum(t["max_score"] for t in score["tests"])))
                splits.append(json.loads(timings.read_text()))
        med = lambda xs: statistics.median(xs)  # noqa: E731
        wall = med([r[0].wall for r in runs])
        child = med([s["child_startup"] for s in splits])
        tests = med([sum(s["tests"].values()) for s in splits])
        slowest = max(splits[0]["tests"].items(), key=lambda kv: kv[1])
        rows.append([slug, f"{runs[0][1]:g}/{runs[0][2]:g}", wall, med([r[0].cpu for r in runs]),
                     max(r[0].peak_mb for r in runs), judge_start, child, tests,
                     f"{slowest[0]} ({slowest[1]:.1f} s)"])
    print(f"Machine: {machine()}{' (pinned to one core)' if args.one_core else ''}; median of {args.repeat} runs\n")
    print(table(["assignment", "score", "wall s", "CPU s", "peak MB (judge+child)", "judge start s",
                 "child start s (overlaps judge start)", "tests s", "slowest test"], rows))


if __name__ == "__main__":
    main()
