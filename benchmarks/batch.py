"""Batch throughput: submissions graded per minute with 1 and 2 jobs.

    python benchmarks/batch.py [--assignment kl_asymmetry] [--size 12] [--jobs 1 2]

Builds a class of `size` submissions (the solution, the template, the example with
mistakes and the sample submissions of tests/submissions/<assignment>, cycled) and runs
`autograder batch` on it once per job count, each time from scratch.
"""
from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import ROOT, machine, measure, table  # noqa: E402
from sample_builder import build_sample  # noqa: E402  (a wrong sample is only its mistake: build it)


def make_class(slug: str, size: int, folder: Path) -> None:
    pool = [ROOT / "solutions" / f"{slug}.py", ROOT / "student_template" / f"{slug}.py"]
    pool += sorted((ROOT / "examples").glob(f"{slug}*.py"))
    pool += sorted((ROOT / "tests" / "submissions" / slug).glob("*/*.py"))
    for i, source in zip(range(size), itertools.cycle(pool)):
        target = folder / f"student_{i:03d}"
        target.mkdir(parents=True)
        shutil.copy(build_sample(source), target / f"{slug}.py")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="kl_asymmetry")
    parser.add_argument("--size", type=int, default=12)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        make_class(args.assignment, args.size, Path(tmp) / "class")
        for jobs in args.jobs:
            out = Path(tmp) / f"out-{jobs}"
            m = measure([sys.executable, "-m", "autograder", "batch", args.assignment, f"{tmp}/class",
                         "--jobs", str(jobs), "--out", str(out), "--device", "cpu"])
            if m.returncode != 0:
                sys.exit(m.stdout)
            rows.append([jobs, args.size, m.wall, 60 * args.size / m.wall, m.peak_mb])
    print(f"Machine: {machine()}\n")
    print(table(["jobs", "submissions", "wall s", "submissions / minute", "peak MB (all processes)"], rows))


if __name__ == "__main__":
    main()
