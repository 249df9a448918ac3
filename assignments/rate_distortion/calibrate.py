"""Measure the calibrated constants of assignment.toml's [sweep] table (instructors only).

Trains independent VAEs with the reference solution, on one CPU thread, on the shipped digits:

* beta = 1 for the configured epochs, seeds 0..4: D + R, the negative ELBO (neg_elbo_reference
  is their mean; neg_elbo_band must hold it with room for training noise and for correct
  variants: other widths, learning rates and batch sizes);
* the configured beta sweep, seeds 0..2: the spans of R and D and the smallest gaps between
  consecutive betas, against min_span_rate, min_span_distortion and the slack.

Run from the course folder:  python assignments/rate_distortion/calibrate.py  (about a minute).
Not shipped to students' machines as a grader: it imports the reference solution.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from autograder.data import load_digits_binary  # noqa: E402
from autograder.plugin import load_module  # noqa: E402

judge = load_module(HERE / "rd_judge.py", "_rd_judge_calibrate")
reference = load_module(ROOT / "solutions" / "rate_distortion.py", "_rd_reference_calibrate")


def main() -> None:
    torch.set_num_threads(1)
    config = judge.sweep_config()
    data = torch.from_numpy(load_digits_binary()[0])
    epochs, z_dim = int(config["epochs"]), int(config["z_dim"])

    totals = []
    for seed in range(5):
        torch.manual_seed(seed)
        ((_, r, d),) = reference.beta_sweep(data, [1.0], epochs=epochs, z_dim=z_dim)
        totals.append(d + r)
        print(f"beta = 1, seed {seed}: R = {r:.3f}  D = {d:.3f}  D + R = {d + r:.3f}")
    print(f"negative ELBO at beta = 1: mean {statistics.mean(totals):.3f}, "
          f"range {min(totals):.3f} .. {max(totals):.3f}, sd {statistics.stdev(totals):.3f}; "
          f"configured reference {config['neg_elbo_reference']}, band {config['neg_elbo_band']}")

    betas = [float(b) for b in config["betas"]]
    for seed in range(3):
        torch.manual_seed(seed)
        started = time.perf_counter()
        points = reference.beta_sweep(data, betas, epochs=epochs, z_dim=z_dim)
        seconds = time.perf_counter() - started
        rs, ds = [p[1] for p in points], [p[2] for p in points]
        gaps_r = min(a - b for a, b in zip(rs, rs[1:]))
        gaps_d = min(b - a for a, b in zip(ds, ds[1:]))
        problems = [judge.trend_problem(points, "R", config), judge.trend_problem(points, "D", config),
                    judge.neg_elbo_problem(points, config)]
        print(f"\nsweep, seed {seed} ({seconds:.1f} s):\n{judge.table(points)}")
        print(f"span R {rs[0] - rs[-1]:.2f}, span D {ds[-1] - ds[0]:.2f} (min spans {config['min_span_rate']} and {config['min_span_distortion']}); "
              f"smallest consecutive fall of R {gaps_r:.2f}, rise of D {gaps_d:.2f}; "
              f"judge: {'all pass' if not any(problems) else problems}")


if __name__ == "__main__":
    main()
