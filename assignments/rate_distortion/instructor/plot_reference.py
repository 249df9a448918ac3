"""Train the reference beta sweep and save its rate-distortion plot as ../rd_reference.png, the
figure of the statement (an instructor's tool: nothing in instructor/ ships).

Run from the course folder (needs matplotlib: pip install matplotlib, or the `plots` extra):

    python assignments/rate_distortion/instructor/plot_reference.py [--epochs 30] [--seed 0]

The sweep uses the betas of assignment.toml's [sweep] table plus a few more on either side, so
the curve reaches from high rate to full posterior collapse. The figure is drawn by the same
function the grader uses for students' sweeps (judge_helpers.plot_png).
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

judge = load_judge_helpers(ASSIGNMENT)
reference = load_python(ROOT / "solutions" / "rate_distortion.py", "_rd_reference_plot")
SWEEP = load_config(ASSIGNMENT)["sweep"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=int(SWEEP["epochs"]))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ASSIGNMENT / "rd_reference.png"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    images, _ = load_digits_binary()
    data = torch.from_numpy(images)
    betas = sorted({0.1, 8.0, *(float(b) for b in SWEEP["betas"])})
    started = time.perf_counter()
    points = reference.beta_sweep(data, betas, epochs=args.epochs)
    print(f"{len(betas)} models, {args.epochs} epochs each, in {time.perf_counter() - started:.1f} s")
    print(judge.table(points))
    png = judge.plot_png(points, judge.empirical_entropy(images),
                         title=f"Reference beta sweep: binarised 8x8 digits, {args.epochs} epochs")
    if png is None:
        sys.exit("matplotlib is not installed: pip install matplotlib")
    Path(args.out).write_bytes(png)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
