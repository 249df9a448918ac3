"""Batch throughput: submissions graded per minute, each way a batch can run, side by side.

    python benchmarks/batch.py [--assignment kl_asymmetry] [--size 24] [--jobs 2]
                               [--modes cold warm dask-cold dask-warm] [--pool all|typical]

Builds a class of `size` submissions (the solution, the template, the example with
mistakes and the sample submissions of assignments/<assignment>/samples, cycled) and runs
`autograder batch` on it once per mode, each time from scratch, with `--jobs` judges:
`cold` starts every judge and sandbox from a fresh interpreter (`--cold`, the only way
before warm judges), `warm` forks them from warm ones (the default), and `dask-*` run the
same on a local Dask cluster (`--cluster local`, its start-up included). Every mode must
give the same gradebook (scores and per-test columns); the table says so.
"""
from __future__ import annotations

import argparse
import csv
import itertools
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import ROOT, machine, measure, table  # noqa: E402
from sample_builder import build_sample, samples_folder  # noqa: E402  (a wrong sample is only its mistake: build it)


def make_class(slug: str, size: int, folder: Path, pool_name: str = "all") -> None:
    """``all``: every sample, the correct variants included (some are slow by design: kl_asymmetry's
    loops.py grades in about 20 s of its own work); ``typical``: the solution, the template, the
    example and the wrong samples (each one mistake in code as fast as the reference)."""
    pool = [ROOT / "solutions" / f"{slug}.py", ROOT / "student_template" / f"{slug}.py"]
    pool += sorted((ROOT / "examples").glob(f"{slug}*.py"))
    kinds = "*" if pool_name == "all" else "wrong"
    pool += sorted(samples_folder(slug).glob(f"{kinds}/*.py"))
    for i, source in zip(range(size), itertools.cycle(pool)):
        target = folder / f"student_{i:03d}"
        target.mkdir(parents=True)
        shutil.copy(build_sample(source), target / f"{slug}.py")


MODES = {"cold": ["--cold"], "warm": [], "dask-cold": ["--cluster", "local", "--cold"],
         "dask-warm": ["--cluster", "local"]}


def grades(gradebook: Path) -> list[list[str]]:
    """The gradebook without its timing column."""
    rows = list(csv.reader(gradebook.open()))
    keep = [i for i, name in enumerate(rows[0]) if name != "seconds"]
    return [[row[i] for i in keep] for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="kl_asymmetry")
    parser.add_argument("--size", type=int, default=24)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--pool", choices=("all", "typical"), default="all",
                        help="which submissions make the class (see make_class)")
    args = parser.parse_args()
    rows, first = [], None
    with tempfile.TemporaryDirectory() as tmp:
        make_class(args.assignment, args.size, Path(tmp) / "class", args.pool)
        for mode in args.modes:
            out = Path(tmp) / f"out-{mode}"
            m = measure([sys.executable, "-m", "autograder", "batch", args.assignment, f"{tmp}/class",
                         "--jobs", str(args.jobs), "--out", str(out), "--device", "cpu", "--no-similarity",
                         *MODES[mode]])
            if m.returncode != 0:
                sys.exit(m.stdout)
            book = grades(out / "gradebook.csv")
            first = first or book
            rows.append([mode, args.jobs, args.size, m.wall, 60 * args.size / m.wall, m.cpu, m.peak_mb,
                         "yes" if book == first else "NO"])
    base = rows[0][4]
    for row in rows:
        row.insert(5, f"{row[4] / base:.1f}x")
    print(f"Machine: {machine()}; class: {args.size} {args.assignment} submissions, pool {args.pool}\n")
    print(table(["mode", "jobs", "submissions", "wall s", "submissions / minute", f"vs {rows[0][0]}",
                 "CPU s", "peak MB (all processes)", f"same gradebook as {rows[0][0]}"], rows))
    print("\nPeak MB sums the resident memory of every process, so pages a warm fork shares with its "
          "server are counted once per process.")


if __name__ == "__main__":
    main()
