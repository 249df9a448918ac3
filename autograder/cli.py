"""The ``autograder`` command line (see ``autograder --help``)."""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import traceback
from pathlib import Path

from .course import Assignment, CourseError, find_course, list_assignments, load_assignment
from .results import failure_results, render_check, render_table, write_json

USAGE_ERROR = 2


def _course(args) -> Path:
    return find_course(Path(args.course) if args.course else None)


def _assignment(args, slug: str | None = None, root: Path | None = None) -> Assignment:
    """The assignment, with what this command line sets for its grading (data set, sandbox
    minimum, GPU share): parameters that travel on it, never through the environment."""
    assignment = load_assignment(root or _course(args), slug or args.assignment)
    limits = assignment.limits
    if getattr(args, "allow_weak_sandbox", False):
        limits = dataclasses.replace(limits, allow_weak_sandbox=True)
    if getattr(args, "gpu_fraction", None):
        limits = dataclasses.replace(limits, gpu_fraction=float(args.gpu_fraction))
    return dataclasses.replace(assignment, limits=limits,
                               dataset=getattr(args, "dataset", None) or assignment.dataset)


def cmd_grade(args) -> int:
    from .grading import grade

    started = time.monotonic()
    results_path = Path(args.results)
    max_score = None
    try:
        assignment = _assignment(args)
        max_score = assignment.total_points
        from .rate_limit import decide
        from .watchdog import Watchdog

        from .written import answers_of, notes_test, questions

        late = assignment.late_policy()  # a malformed [late] or [written] table fails before grading
        asked = questions(assignment)
        metadata = Path(args.metadata) if getattr(args, "metadata", None) else None  # on Gradescope
        limit = decide(metadata, assignment.full_gradings_per_day)
        with Watchdog(assignment.deadline + 60, results_path, assignment.title, max_score):
            results = grade(assignment, Path(args.submission), device=args.device,
                            hold_back_hidden=limit.message if limit.limited else "")
        if limit.note:
            results.notes.append(limit.note)
        if late is not None and metadata:  # its submission time
            from .late import apply, assess_gradescope

            lateness, note = assess_gradescope(late, metadata)
            results.notes.append(note)
            data = apply(results.to_gradescope(), lateness)
        else:
            data = results.to_gradescope()
        if asked and metadata:  # the answers, for Gradescope's manual questions
            data["tests"].append(notes_test(answers_of(Path(args.submission), assignment.slug)))
    except (CourseError, ValueError) as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        write_json(failure_results(f"The grader is misconfigured: {exc}", max_score), results_path)
        return USAGE_ERROR
    except BaseException as exc:  # the results file is written whatever happens
        detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        print(detail, file=sys.stderr)
        write_json(failure_results("The grader itself failed; this is not your fault. Your instructor "
                                   f"has been told.\n{type(exc).__name__}: {exc}",
                                   max_score, time.monotonic() - started), results_path)
        if isinstance(exc, KeyboardInterrupt):
            return 130
        return 1
    write_json(data, results_path)
    if args.timings:
        write_json(dict(results.timings, execution_time=results.execution_time), Path(args.timings))
    for name, png in results.images().items():
        (results_path.parent / name).write_bytes(png)
    if not args.quiet:
        try:
            _print_summary(results, results_path)
        except BrokenPipeError:  # `autograder grade ... | head`: the results file is written already
            sys.stderr.close()
    return 0


def _print_summary(results, results_path: Path) -> None:
    print(render_check(results, rest_in=str(results_path)))  # which file was graded, then the table
    print(f"\n{results.header}  Results: {results_path}  ({results.execution_time:.1f} s)")
    for note in results.notes:
        print(f"  note: {note}", file=sys.stderr)


def cmd_check(args) -> int:
    assignment = _assignment(args)
    submission = args.submission
    if submission is None:
        found = [p for p in (Path(f"{assignment.slug}.py"), Path(f"{assignment.slug}.ipynb")) if p.exists()]
        if not found:
            print(f"autograder: no {assignment.slug}.py or {assignment.slug}.ipynb here; run this in the "
                  "unzipped student folder, or give the file to check", file=sys.stderr)
            return USAGE_ERROR
        if len(found) == 2:  # both: the same choice as on Gradescope (see autograder/submission.py)
            return _check_both(args, assignment, found)
        submission = found[0]
    return _check(args, assignment, Path(submission), str(submission))


def _check_both(args, assignment, found: list[Path]) -> int:
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ag-check-") as tmp:
        for path in found:
            shutil.copy2(path, Path(tmp) / path.name)
        return _check(args, assignment, Path(tmp), " and ".join(p.name for p in found))


def _check(args, assignment, submission: Path, label: str) -> int:
    from .grading import grade

    results = grade(assignment, submission, device=args.device, public_only=True)
    print(f"Public checks for {assignment.title} on {label}:\n")
    print(render_check(results))  # which file was checked, or why it could not be loaded; the table
    everything = results.score == results.max_score and results.ok
    print("\nAll public checks pass. Hidden tests run when you submit." if everything else
          "\nSome checks fail: read the messages above.")
    return 0 if everything else 1


def cmd_validate(args) -> int:
    from .grading import grade

    root = _course(args)
    slugs = list_assignments(root) if args.all else [args.assignment]
    if not slugs or slugs == [None]:
        print("autograder: name an assignment or pass --all", file=sys.stderr)
        return USAGE_ERROR
    failures = 0
    for slug in slugs:
        assignment = _assignment(args, slug, root)
        for label, path, want_full in (("solution", assignment.solution, True),
                                       ("template", assignment.template, False)):
            results = grade(assignment, path, device=args.device)
            if want_full:
                good = results.ok and results.score == results.max_score
            else:
                good = results.ok and results.score == 0
            verdict = "ok" if good else "FAILED"
            print(f"{slug:<20} {label:<9} {results.score:g}/{results.max_score:g}  "
                  f"({results.execution_time:.1f} s)  {verdict}")
            if not good:
                failures += 1
                print(render_table(results))
                print(results.output)
        if not args.no_trivial:
            failures += _validate_trivial(assignment, args.device)
    return 1 if failures else 0


def _validate_trivial(assignment, device: str) -> int:
    """Trivial submissions (autograder/trivial.py) must earn no point: each test that gives
    one points is listed. Returns the number of trivial submissions that failed."""
    from .trivial import check

    failed = 0
    for verdict in check(assignment, device=device):
        print(f"{assignment.slug:<20} {'trivial ' + verdict.kind:<24} {verdict.score:g}/{verdict.max_score:g}  "
              f"({verdict.seconds:.1f} s)  {'ok' if verdict.ok else 'FAILED'}")
        for number, name, points in verdict.earned:
            print(f"    {number:<6} {name}  ({points:g} point{'s' if points != 1 else ''} for a trivial answer)")
        if verdict.problems:
            print("    " + verdict.problems.replace("\n", "\n    "))
        failed += not verdict.ok
    return failed


def cmd_batch(args) -> int:
    from .classroom.batch import BatchInterrupted, run_batch
    from .grading import resolve_device

    assignment = _assignment(args)
    source = Path(args.path)
    if not source.exists():
        print(f"autograder: {source} does not exist", file=sys.stderr)
        return USAGE_ERROR
    try:
        device = resolve_device(args.device)
        outcomes = run_batch(assignment, source, Path(args.out), jobs=args.jobs or os.cpu_count() or 1,
                             device=device, scheduler=args.scheduler, cluster=args.cluster,
                             extensions=Path(args.extensions) if args.extensions else None,
                             written=Path(args.written) if args.written else None,
                             canvas=(Path(args.canvas_roster), args.canvas_column or assignment.title)
                             if args.canvas_roster else None,
                             similarity=not args.no_similarity, warm=not args.cold)
    except ValueError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except BatchInterrupted as exc:  # the gradebook and report are written already
        print(f"autograder: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # outside the batch's own handlers (before grading, or once both files are written)
        print("autograder: interrupted.", file=sys.stderr)
        return 130
    failed = sum(o.status != "ok" for o in outcomes)
    print(f"{len(outcomes)} submissions graded ({failed} crashed, timed out or errored). "
          f"Gradebook: {Path(args.out) / 'gradebook.csv'}  Report: {Path(args.out) / 'report.html'}")
    return 0


def cmd_doctor(args) -> int:
    """Which protections the sandbox has on this machine, and whether grading may run."""
    from .sandbox import probe

    caps = probe.detect()
    print(probe.report(caps))
    return 0 if caps.minimum else 1


def cmd_build(args) -> int:
    from .authoring.build import build

    root = _course(args)
    slugs = list_assignments(root) if args.all else [args.assignment]
    if slugs == [None]:
        print("autograder: name an assignment or pass --all", file=sys.stderr)
        return USAGE_ERROR
    out = Path(args.out)
    for slug in slugs:
        for path in build(load_assignment(root, slug), out):
            print(f"wrote {path}  ({path.stat().st_size / 1024:.0f} KB)")
        print(f"wrote {out / slug / (slug + '.ipynb')}  (student notebook)")
        print(f"wrote {out / slug / 'otter' / (slug + '-master.ipynb')}  (Otter Assign master; see docs/otter.md)")
    return 0


def cmd_templates(args) -> int:
    from .authoring.templates import template_for, write_templates

    root = _course(args)
    if args.check:
        stale = [s.name for s in sorted((root / "solutions").glob("*.py"))
                 if not (root / "student_template" / s.name).exists()
                 or (root / "student_template" / s.name).read_text() != template_for(s)]
        for name in stale:
            print(f"student_template/{name} is out of date; run `autograder templates`")
        return 1 if stale else 0
    for path in write_templates(root):
        print(f"wrote {path.relative_to(root)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p, device: bool = True):
        p.add_argument("--course", help="folder holding assignments/ and solutions/ (default: found from here)")
        if device:
            p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                           help="where student code may run torch work (default: CUDA when available)")
            p.add_argument("--allow-weak-sandbox", action="store_true",
                           help="run student code even where this machine cannot give the sandbox's "
                                "minimum (see `autograder doctor`); trusted local runs only: every "
                                "result then says so")
            p.add_argument("--dataset", choices=("digits", "mnist"), default=None,
                           help="training data for assignments that train models (default: the shipped "
                                "8x8 digits; mnist reads MNIST's files from $AUTOGRADER_MNIST)")

    p = sub.add_parser("grade", help="grade one submission and write results.json")
    p.add_argument("assignment")
    p.add_argument("submission", help="a .py file, a .ipynb notebook, a folder or a .zip")
    p.add_argument("--results", default="results.json", help="where to write results (default ./results.json)")
    p.add_argument("--quiet", action="store_true", help="print nothing; only write the results file")
    p.add_argument("--metadata", help="Gradescope's submission_metadata.json: applies the assignment's "
                                      "[gradescope] full_gradings_per_day (run_autograder passes it)")
    p.add_argument("--timings", help=argparse.SUPPRESS)  # where the time went, for benchmarks/
    p.add_argument("--gpu-fraction", type=float, help=argparse.SUPPRESS)  # batch: the child's share of a GPU
    common(p)
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("check", help="run the public tests on your file (students)")
    p.add_argument("assignment")
    p.add_argument("submission", nargs="?", help="default: ./<assignment>.py, else ./<assignment>.ipynb")
    common(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("validate", help="check that the solution scores full marks, and the template and "
                                        "trivial submissions (zeros, ones, first argument, raises) 0")
    p.add_argument("assignment", nargs="?")
    p.add_argument("--all", action="store_true", help="every assignment of the course")
    p.add_argument("--no-trivial", action="store_true", help="skip the trivial submissions")
    common(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("batch", help="grade a whole class: gradebook.csv and report.html")
    p.add_argument("assignment")
    p.add_argument("path", help="a folder of submissions, or Gradescope's 'Export Submissions' zip")
    p.add_argument("--jobs", type=int, default=0, help="submissions graded at once (default: CPU count)")
    p.add_argument("--out", default="batch-results", help="output folder (default: batch-results)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="grade on a running Dask cluster: tcp://host:8786, tls://..., or a scheduler file")
    p.add_argument("--cluster", metavar="KIND",
                   help="start a Dask cluster: local (--jobs workers here), or slurm/pbs/sge/lsf/htcondor/oar "
                        "from dask-jobqueue's configuration (jobqueue.yaml), adapted to the work left")
    p.add_argument("--extensions", metavar="CSV",
                   help="per-student due dates (sid or email, due), replacing [late] extensions in assignment.toml")
    p.add_argument("--canvas-roster", metavar="CSV",
                   help="a gradebook exported from Canvas: writes canvas.csv to import (students matched by "
                        "SIS User ID, login or e-mail; the unmatched are listed)")
    p.add_argument("--canvas-column", metavar="TITLE",
                   help="the Canvas assignment column, e.g. 'KL asymmetry (12345)' (default: the assignment's title)")
    p.add_argument("--cold", action="store_true",
                   help="start every judge and sandbox from a fresh interpreter instead of forking them "
                        "from warm ones (slower; isolation is the same: see autograder/classroom/warm_judge.py)")
    p.add_argument("--no-similarity", action="store_true",
                   help="leave out the report's similar-submissions section (it compares every pair)")
    p.add_argument("--written", metavar="CSV",
                   help="merge a filled written.csv (graded written answers; see written-blank.csv in --out)")
    common(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("build", help="Gradescope autograder zip, student bundle and notebook, Otter master notebook per assignment")
    p.add_argument("assignment", nargs="?")
    p.add_argument("--all", action="store_true", help="every assignment of the course")
    p.add_argument("--out", default="dist", help="output folder (default: dist)")
    common(p, device=False)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("doctor", help="the sandbox's protections on this machine (exit 1 below the minimum)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("templates", help="regenerate student_template/ from solutions/ (course authors)")
    p.add_argument("--check", action="store_true", help="only report templates that are out of date")
    common(p, device=False)
    p.set_defaults(func=cmd_templates)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except CourseError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
