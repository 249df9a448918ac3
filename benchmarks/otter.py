"""Side by side with Otter-Grader: the same assignment graded by `otter run` and by us.

    pip install -e ".[otter]"            # once; see docs/otter.md
    python benchmarks/otter.py [--repeat 5] [--one-core] [ASSIGNMENT ...]   (default: kl_asymmetry)

For each assignment: `autograder build` writes the Otter master notebook, `otter assign`
turns it into Otter's autograder zip and solution notebook, then, alternating so that a
warm or busy machine favours no one, each round runs

* `otter run -a <zip> <solution notebook>` (Otter's local Gradescope rehearsal: it runs the
  notebook in a Jupyter kernel, then the test cases, which call our grader tests in-kernel);
* `autograder grade <slug> <that same notebook>` (its Otter cells fail harmlessly: each cell
  runs on its own);
* `autograder grade <slug> solutions/<slug>.py`.

It prints the median wall and CPU seconds and peak memory of each, the scores (all must be
full marks, or the timing means nothing) and the median of the per-round ratios ours/Otter.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, measure, table  # noqa: E402


def _score(results: Path) -> str:
    data = json.loads(results.read_text())
    tests = [t for t in data["tests"] if "max_score" in t]
    return f"{sum(t['score'] for t in tests):g}/{sum(t['max_score'] for t in tests):g}"


def prepare(slug: str, work: Path) -> tuple[Path, Path]:
    """Build the Otter master, run `otter assign`; return (autograder zip, solution notebook)."""
    from autograder.authoring.build import build
    from autograder.course import load_assignment

    build(load_assignment(ROOT, slug), work / "dist")
    folder = work / "dist" / slug / "otter"
    m = measure([sys.executable, "-m", "otter", "assign", f"{slug}-master.ipynb", "out"], cwd=folder)
    if m.returncode != 0:
        sys.exit(f"otter assign failed for {slug}:\n{m.stdout[-3000:]}")
    (zip_path,) = (folder / "out" / "autograder").glob("*.zip")
    notebook = work / f"{slug}.ipynb"  # the solution notebook, as a student would submit it
    shutil.copy(folder / "out" / "autograder" / f"{slug}-master.ipynb", notebook)
    return zip_path, notebook


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("assignments", nargs="*", default=["kl_asymmetry"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--one-core", action="store_true", help="pin every run to one core (taskset)")
    args = parser.parse_args()
    try:
        import otter  # noqa: F401
    except ImportError:
        sys.exit("otter-grader is not installed here: pip install -e \".[otter]\" (see docs/otter.md)")
    prefix = ["taskset", "-c", "0"] if args.one_core else []
    rows = []
    for slug in args.assignments:
        with tempfile.TemporaryDirectory(prefix="bench-otter-") as tmp:
            work = Path(tmp)
            zip_path, notebook = prepare(slug, work)
            kinds = {
                "otter run (notebook)": lambda out: prefix + [sys.executable, "-m", "otter", "run", "-a", str(zip_path),
                                                              "-o", str(out), str(notebook)],
                "autograder grade (same notebook)": lambda out: prefix + [
                    sys.executable, "-m", "autograder", "grade", slug, str(notebook), "--results",
                    str(out / "results.json"), "--device", "cpu", "--quiet", "--course", str(ROOT)],
                "autograder grade (.py)": lambda out: prefix + [
                    sys.executable, "-m", "autograder", "grade", slug, str(ROOT / "solutions" / f"{slug}.py"),
                    "--results", str(out / "results.json"), "--device", "cpu", "--quiet", "--course", str(ROOT)],
            }
            runs: dict[str, list] = {k: [] for k in kinds}
            for round_ in range(args.repeat):
                order = list(kinds) if round_ % 2 == 0 else list(reversed(kinds))  # alternate who goes first
                for kind in order:
                    out = work / f"run-{round_}-{list(kinds).index(kind)}"
                    out.mkdir()
                    m = measure(kinds[kind](out), cwd=out)
                    if m.returncode != 0 or not (out / "results.json").exists():
                        sys.exit(f"{kind} failed on {slug}:\n{m.stdout[-3000:]}")
                    runs[kind].append((m, _score(out / "results.json")))
            otter_walls = [m.wall for m, _ in runs["otter run (notebook)"]]
            for kind, results in runs.items():
                walls = [m.wall for m, _ in results]
                ratio = statistics.median(w / o for w, o in zip(walls, otter_walls))
                rows.append([slug, kind, ", ".join(sorted({s for _, s in results})), statistics.median(walls),
                             statistics.median(m.cpu for m, _ in results), max(m.peak_mb for m, _ in results),
                             f"{ratio:.2f}"])
    print(f"Machine: {machine()}{' (pinned to one core)' if args.one_core else ''}; "
          f"median of {args.repeat} alternating rounds\n")
    print(table(["assignment", "grader", "score", "wall s", "CPU s", "peak MB", "wall / Otter's"], rows))


if __name__ == "__main__":
    main()
