"""Judge-side checks for rate_distortion's beta sweep: the physics of the trade-off.

Not a reference solution: it only reads the (beta, R, D) points a submission returns, checks
their form, and says whether they show the rate-distortion trade-off. It also renders the
points as a table, and as a rate-distortion plot when matplotlib is installed. Shipped with
the public tests, so students get the same verdict locally.
"""
from __future__ import annotations

import io
import math
import sys
from pathlib import Path

import numpy as np
import torch

from autograder.checks import as_float, describe, fail

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent


def sweep_config() -> dict:
    """The ``[sweep]`` table of assignment.toml: betas, epochs, calibrated band, slack."""
    return tomllib.loads((HERE / "assignment.toml").read_text())["sweep"]


def empirical_entropy(data) -> float:
    """H of the empirical distribution of the rows of ``data`` (nats): log N when all differ."""
    rows = np.asarray(data)
    _, counts = np.unique(rows, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


# --------------------------------------------------------------------------- form
def read_points(value, betas: list[float], *, what: str = "beta_sweep(...)") -> list[tuple[float, float, float]]:
    """The returned list as (beta, R, D) floats, after checking its form and the order of beta."""
    if not isinstance(value, (list, tuple)):
        fail(f"{what} should return a list of (beta, R, D) tuples, but it returned {describe(value)}.")
    if len(value) != len(betas):
        fail(f"{what} was given {len(betas)} values of beta and should return one (beta, R, D) tuple "
             f"for each, but it returned {len(value)} items.")
    points = []
    for i, item in enumerate(value):
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            fail(f"Item {i} of the list returned by {what} should be a tuple (beta, R, D) of three "
                 f"numbers, but it is {describe(item)}.")
        beta, r, d = (as_float(v, what=f"{name} in item {i}") for v, name in zip(item, ("beta", "R", "D")))
        if not all(math.isfinite(v) for v in (beta, r, d)):
            fail(f"Item {i} returned by {what} is (beta, R, D) = ({beta:.4g}, {r:.4g}, {d:.4g}): "
                 "R and D must be finite numbers (a NaN often means the loss diverged in training).")
        points.append((beta, r, d))
    got = [p[0] for p in points]
    if any(abs(g - b) > 1e-6 * max(1.0, abs(b)) for g, b in zip(got, betas)):
        order = " (the same values in another order)" if sorted(got) == sorted(betas) else ""
        fail(f"{what} was given betas = {_list(betas)} and returned the betas {_list(got)}{order}. "
             "Return one tuple per beta, in the order given: results[i] belongs to betas[i].")
    return points



def _list(values) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


# --------------------------------------------------------------------------- physics
def backwards_hint(points) -> str:
    """Why R could rise and D fall with beta."""
    lowest_d = min(p[2] for p in points)
    swapped = ("Your D values go down to {:.3g} nats, as low as a rate can go: the tuples look like "
               "(beta, D, R).".format(lowest_d)) if lowest_d < 3 else ""
    text = ("The trade-off runs backwards: either the tuples hold (beta, D, R) instead of (beta, R, D), "
            "or beta multiplies the distortion instead of the rate. The beta-VAE loss is D + beta * R: "
            "a large beta makes the rate expensive, so the encoder sends less information (R falls) and "
            "the reconstructions get worse (D rises).")
    return f"{text} {swapped}".rstrip()


def physics_problem(points) -> str | None:
    """Why some point cannot be a rate and a Bernoulli distortion at all, or None."""
    for beta, r, d in points:
        if r < -1e-3:
            return (f"At beta = {beta:g} the rate is R = {r:.4g} nats, but R is an average of KL divergences, "
                    "which are never negative: KL = 1/2 sum_i (mu_i^2 + sigma_i^2 - 1 - log sigma_i^2) >= 0.")
        if d <= 0:
            return (f"At beta = {beta:g} the distortion is D = {d:.4g} nats, but D = E[-log p(x|z)] for binary "
                    "pixels is positive: every Bernoulli probability is below 1.")
    return None


def trend_problem(points, which: str, config: dict) -> str | None:
    """Why the rate (``which="R"``) does not fall, or the distortion (``"D"``) does not rise, as
    beta grows; None when it does. Betas are taken in increasing order: the ends must differ by
    ``min_span_rate`` (``min_span_distortion``) nats the right way, and consecutive points may go
    the wrong way only by the slack (training noise)."""
    unphysical = physics_problem(points)
    if unphysical:
        return f"{unphysical} So the trade-off cannot be judged."
    slack_abs, slack_rel = float(config["slack_nats"]), float(config["slack_relative"])
    span = float(config["min_span_rate" if which == "R" else "min_span_distortion"])
    ordered = sorted(points)
    index, sign = (1, -1.0) if which == "R" else (2, 1.0)  # R should fall, D should rise
    name = "rate R" if which == "R" else "distortion D"
    verb = "fall" if which == "R" else "rise"
    betas = [p[0] for p in ordered]
    values = [p[index] for p in ordered]
    change = sign * (values[-1] - values[0])  # > 0: the right way
    if change <= -span:
        return backwards_hint(points)
    if change < span:
        return (f"Between beta = {betas[0]:g} and beta = {betas[-1]:g} the {name} changes by "
                f"{values[-1] - values[0]:+.3f} nats only; trained beta-VAEs move by well over {span:g} "
                "nats here. The models show no trade-off: is beta applied to the rate in the training loss "
                "(D + beta * R), and are both terms on the same scale (per-example sums over the pixels "
                "and over the latents, averaged over the batch)?")
    for b0, b1, v0, v1 in zip(betas, betas[1:], values, values[1:]):
        wrong_way = sign * (v0 - v1)
        if wrong_way > slack_abs + slack_rel * max(abs(v0), abs(v1)):
            return (f"The {name} should {verb} as beta grows, but from beta = {b0:g} to beta = {b1:g} it goes "
                    f"from {v0:.3f} to {v1:.3f} nats, more than training noise explains. Is each model "
                    "fresh, trained on D + beta * R with its own beta, and measured on the whole data set?")
    return None


def neg_elbo_problem(points, config: dict) -> str | None:
    """Why D + R at beta = 1 is not a plausible negative ELBO for this model and data, or None."""
    lo, hi = (float(v) for v in config["neg_elbo_band"])
    ref = float(config["neg_elbo_reference"])
    at_one = [p for p in points if abs(p[0] - 1.0) < 1e-9]
    if not at_one:
        return "The sweep has no point at beta = 1."
    unphysical = physics_problem(at_one)
    if unphysical:
        return unphysical
    _, r, d = at_one[0]
    total = d + r
    if lo <= total <= hi:
        return None
    text = (f"At beta = 1 the beta-VAE loss is the negative ELBO, D + R. A VAE of this size trained as "
            f"asked reaches about {ref:g} nats on these data (accepted: {lo:g} to {hi:g}); your point "
            f"gives D + R = {d:.3f} + {r:.3f} = {total:.3f} nats.")
    if total > hi:
        text += (" That is too large: a model that ignores z (R = 0) already gets D + R = 25.1 nats here, so "
                 "a VAE that learned anything does clearly better. Is R a batch mean (not a sum over the "
                 "batch)? Is each epoch a full pass over the data in minibatches, with the optimiser stepping "
                 "after every minibatch?")
    else:
        text += (" That is too small: is D summed over the pixels of each image (not averaged), and R "
                 "summed over the latent dimensions?")
    return text


# --------------------------------------------------------------------------- report
def table(points) -> str:
    lines = ["   beta        R (nats)    D (nats)    D + R", "  " + "-" * 47]
    for beta, r, d in points:
        lines.append(f"  {beta:7.3g}   {r:10.3f}  {d:10.3f}  {d + r:10.3f}")
    return "\n".join(lines)


def plot_png(points, entropy: float | None = None, *, title: str = "Your beta sweep",
             reference=None) -> bytes | None:
    """The rate-distortion plane (D across, R up) as PNG bytes; None without matplotlib.

    Draws the points labelled with beta, the line of constant ELBO through the beta = 1 point
    (D + R = const, slope -1), and, given the data entropy H, the bound R >= H - D."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 4.2), dpi=90)
    ordered = sorted(points)
    ds, rs = [p[2] for p in ordered], [p[1] for p in ordered]
    if reference:
        ref = sorted(reference)
        ax.plot([p[2] for p in ref], [p[1] for p in ref], "s--", color="0.6", ms=4, label="reference sweep")
    ax.plot(ds, rs, "o-", color="C0", label="(D, R) per beta")
    d_hi = max(ds + [30.0]) * 1.05
    r_hi = max(rs + [5.0]) * 1.15
    last = None
    for beta, r, d in ordered:
        # points that nearly coincide (several collapsed models) get their labels stacked
        crowded = last is not None and abs(d - last[0]) < 0.04 * d_hi and abs(r - last[1]) < 0.04 * r_hi
        offset = (offset[0], offset[1] + 9) if crowded else (5, 4)
        ax.annotate(f"β={beta:g}", (d, r), textcoords="offset points", xytext=offset, fontsize=8)
        last = (d, r)
    at_one = [p for p in ordered if abs(p[0] - 1.0) < 1e-9]
    if at_one:
        elbo = at_one[0][1] + at_one[0][2]
        ax.plot([0, d_hi], [elbo, elbo - d_hi], ":", color="C3", label=f"D + R = {elbo:.1f} (ELBO at β=1)")
    if entropy is not None:
        ax.fill_between([0, entropy], [entropy, 0], 0, color="0.85", label=f"infeasible: R < H − D (H = {entropy:.2f})")
    ax.set_xlim(0, d_hi)
    ax.set_ylim(-0.02 * r_hi, r_hi)
    ax.set_xlabel("distortion D (nats)")
    ax.set_ylabel("rate R (nats)")
    ax.set_title(title)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def report(points, entropy: float | None = None) -> str:
    """The points as a plain table for a test's output (the plot travels as a figure)."""
    return "Your beta sweep:\n" + table(points)
