"""Measure the noise tolerances of assignment.toml's [sweep] table (an instructor's tool:
nothing in instructor/ ships, neither to students nor in the Gradescope zip).

Students choose their own model and training, so the sweep is never compared with the
reference's numbers; what needs measuring is how far correct sweeps stray from the physics
(training noise) and how far wrong ones do. This script runs the beta sweep of the reference and
of every sample submission under assignments/rate_distortion/samples/ (correct ones: other models,
optimisers, batch sizes; wrong ones: realistic mistakes), on one CPU thread, with the configured
betas and epochs, over a few seeds, and prints per sweep:

* the spans of R and D (min_span_rate, min_span_distortion must lie below every correct span),
* the largest wrong-way move of R and of D between any two betas (slack_nats, slack_relative),
* the largest amount by which a model misses the best of the sweep on its own loss
  D + beta * R (optimality_slack), and by which it trails the model that ignores z
  (collapsed_slack),
* the tests the judge fails on it (public 1.7 on the public betas, hidden 2.8-2.11).

Run from the course folder:  python assignments/rate_distortion/instructor/calibrate.py [--seeds 0 1 2]
[--only NAME ...]  (about 10 s per sweep and seed).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ASSIGNMENT = Path(__file__).resolve().parents[1]
ROOT = ASSIGNMENT.parents[1]
sys.path.insert(0, str(ROOT))

from autograder.contract import load_config, load_judge_helpers, load_python  # noqa: E402
from autograder.data import load_digits_binary  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from sample_builder import build_sample, samples_folder  # noqa: E402  - a wrong sample is a mutation: build it first

judge = load_judge_helpers(ASSIGNMENT)
SAMPLES = samples_folder("rate_distortion")


def measures(points, bounds: dict, config: dict) -> dict:
    ordered = sorted(points)
    rs, ds = [p[1] for p in ordered], [p[2] for p in ordered]
    pairs = [(i, j) for i in range(len(ordered)) for j in range(i + 1, len(ordered))]
    own = {b: d + b * r for b, r, d in ordered}
    misses = [own[b] - (d2 + b * r2) for b, r, d in ordered if r >= float(config["collapsed_rate"])
              for b2, r2, d2 in ordered if b2 != b]
    return {
        "span R": rs[0] - rs[-1],
        "span D": ds[-1] - ds[0],
        "wrong-way R": max([rs[j] - rs[i] for i, j in pairs] + [0.0]),
        "wrong-way D": max([ds[i] - ds[j] for i, j in pairs] + [0.0]),
        "own-loss miss": max(misses + [0.0]),
        "over z-ignoring": max(own[b] - bounds["collapsed"] for b in own),
    }


def verdicts(points, bounds: dict, config: dict) -> list[str]:
    public = [p for p in points if p[0] in [float(b) for b in config["public_betas"]]]
    failed = []
    if (judge.trend_problem(public, "R", config, bounds) or judge.trend_problem(public, "D", config, bounds)
            or judge.optimality_problem(public, bounds, config)):
        failed.append("1.7")
    if judge.physics_problem(points, bounds["entropy"], float(config["noise_nats"])):
        failed.append("2.8")
    for number, problem in (("2.9", judge.trend_problem(points, "R", config, bounds)),
                            ("2.10", judge.trend_problem(points, "D", config, bounds)),
                            ("2.11", judge.optimality_problem(points, bounds, config))):
        if problem:
            failed.append(number)
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", nargs="*", help="sample names (without .py) to run; default: all")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = load_config(ASSIGNMENT)["sweep"]
    images = load_digits_binary()[0]
    data = torch.from_numpy(images)
    bounds = judge.data_bounds(images)
    print(f"H = {bounds['entropy']:.3f} nats, sum_j H(x_j) = {bounds['collapsed']:.3f} nats")
    files = [ROOT / "solutions" / "rate_distortion.py"]
    files += sorted(SAMPLES.glob("correct/*.py")) + sorted(SAMPLES.glob("wrong/*.py"))
    if args.only:
        files = [f for f in files if f.stem in args.only]
    betas = [float(b) for b in config["betas"]]
    for k, path in enumerate(files):
        module = load_python(build_sample(path), f"_rd_sample_{k}")
        kind = path.parent.name if path.parent.parent == SAMPLES else "reference"
        for seed in args.seeds:
            torch.manual_seed(seed)
            started = time.perf_counter()
            try:
                points = [tuple(float(v) for v in p)
                          for p in module.beta_sweep(data.clone(), betas, epochs=int(config["epochs"]),
                                                     z_dim=int(config["z_dim"]))]
            except Exception as exc:  # a wrong sample may crash: say so and go on
                print(f"{kind}/{path.stem} seed {seed}: {type(exc).__name__}: {exc}")
                continue
            seconds = time.perf_counter() - started
            figures = "  ".join(f"{name} {value:.2f}" for name, value in measures(points, bounds, config).items())
            print(f"{kind}/{path.stem} seed {seed} ({seconds:.1f} s): {figures}  fails {verdicts(points, bounds, config)}")
            print("    " + "  ".join(f"beta {b:g}: R {r:.2f} D {d:.2f}" for b, r, d in points))


if __name__ == "__main__":
    main()
