"""Judge-side checks for rate_distortion's beta sweep: the physics of the trade-off.

Not a reference solution: it only reads the (beta, R, D) points a submission returns, checks
their form, and says whether they show the rate-distortion trade-off. Students choose their own
model and training, so nothing here compares with the reference's numbers: a sweep is judged
against itself (R falls and D rises as beta grows; each model is the best of the sweep on its
own loss D + beta * R) and against bounds that hold for every model on the given data (the
data's entropy H, and the loss of a model that ignores z). The only constants are noise
tolerances (assignment.toml's [sweep] table, which the tests pass in). It also renders the points as a table, and as a rate-distortion
plot when matplotlib is installed. Shipped with the public tests, so students get the same
verdict locally.
"""
from __future__ import annotations

import io
import math

import numpy as np
import torch

from autograder.checks import as_float, describe, fail


def empirical_entropy(data) -> float:
    """H of the empirical distribution of the rows of ``data`` (nats): log N when all differ."""
    rows = np.asarray(data)
    _, counts = np.unique(rows, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def independent_pixel_entropy(data) -> float:
    """sum_j H(x_j) in nats, over the pixel frequencies of binary ``data``: the distortion of the
    best decoder that ignores z (each pixel Bernoulli with its own frequency), so D + beta * R of
    a model with R = 0. Every VAE with an output bias can reach it."""
    p = np.asarray(data, dtype=np.float64).mean(axis=0)
    p = p[(p > 0) & (p < 1)]
    return float(-(p * np.log(p) + (1 - p) * np.log1p(-p)).sum())


def data_bounds(data) -> dict:
    """The two data-fixed bounds the sweep is judged against: ``entropy`` (H) and ``collapsed``
    (sum_j H(x_j))."""
    return {"entropy": empirical_entropy(data), "collapsed": independent_pixel_entropy(data)}


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


def physics_problem(points, entropy: float | None = None, noise: float = 0.5) -> str | None:
    """Why some point cannot be a rate and a Bernoulli distortion at all, or None. Given the
    data's entropy H, also checks D + R >= H (up to ``noise`` nats): D + R is the negative ELBO,
    an upper bound on the average -log p(x) of the model, and no model does better than H."""
    for beta, r, d in points:
        if r < -1e-3:
            return (f"At beta = {beta:g} the rate is R = {r:.4g} nats, but R is an average of KL divergences, "
                    "which are never negative: KL = 1/2 sum_i (mu_i^2 + sigma_i^2 - 1 - log sigma_i^2) >= 0.")
        if d <= 0:
            return (f"At beta = {beta:g} the distortion is D = {d:.4g} nats, but D = E[-log p(x|z)] for binary "
                    "pixels is positive: every Bernoulli probability is below 1.")
    if entropy is not None:
        for beta, r, d in points:
            if d + r < entropy - noise:
                return (f"At beta = {beta:g}, D + R = {d:.3f} + {r:.3f} = {d + r:.3f} nats, below the entropy "
                        f"of the data, H = {entropy:.2f} nats. No model gets there: H - D <= I(X; Z) <= R, "
                        "so D + R >= H (D + R is the negative ELBO, which bounds the average -log p(x) from "
                        "above). Is D summed over the pixels of each image (not averaged), and R summed "
                        "over the latent dimensions?")
    return None


def trend_problem(points, which: str, config: dict, bounds: dict | None = None) -> str | None:
    """Why the rate (``which="R"``) does not fall, or the distortion (``"D"``) does not rise, as
    beta grows; None when it does. Betas are taken in increasing order. No pair of points may go
    the wrong way by more than ``slack_nats`` plus ``slack_relative`` times the sweep's own range
    (training noise), and the ends must differ by ``min_span_rate`` (``min_span_distortion``)
    nats the right way: a trade-off well above the noise of training one model, which any
    correct model shows."""
    unphysical = physics_problem(points, (bounds or {}).get("entropy"), float(config["noise_nats"]))
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
    tolerance = slack_abs + slack_rel * (max(values) - min(values))

    def worst(direction: float):
        """The pair (i, j), beta_i < beta_j, that goes furthest against ``direction``, and by how much."""
        pairs = [(direction * (values[i] - values[j]), i, j)
                 for i in range(len(values)) for j in range(i + 1, len(values)) if betas[j] > betas[i]]
        return max(pairs, default=(0.0, 0, 0))

    change = sign * (values[-1] - values[0])  # > 0: the right way
    if change <= -span and worst(-sign)[0] <= tolerance:
        return backwards_hint(points)
    excess, i, j = worst(sign)
    if excess > tolerance:
        return (f"The {name} should {verb} as beta grows, but from beta = {betas[i]:g} to beta = {betas[j]:g} "
                f"it goes from {values[i]:.3f} to {values[j]:.3f} nats, more than training noise explains "
                f"({tolerance:.2f} nats for this sweep). Is each model fresh, trained on D + beta * R with "
                "its own beta (does the rate term of the loss carry gradients to the encoder?), and measured "
                "on the whole data set?")
    if change < span:
        return (f"Between beta = {betas[0]:g} and beta = {betas[-1]:g} the {name} changes by "
                f"{values[-1] - values[0]:+.3f} nats only: the models show no trade-off (it should {verb} "
                f"by {span:g} nats or more, well above the noise of training). Is beta applied to the rate "
                "in the training loss (D + beta * R), is every model trained for all its epochs, and are "
                "both terms on the same scale (per-example sums over the pixels and over the latents, "
                "averaged over the batch)?")
    return None


def optimality_problem(points, bounds: dict, config: dict) -> str | None:
    """Why some model is not the best of the sweep on its own loss, or None.

    The model trained with beta_i minimises L_i = D + beta_i * R over its family. The other
    models of the same sweep belong to that family, and so does the model that ignores z (R = 0,
    the decoder outputs each pixel's frequency: D = sum_j H(x_j)). So D_i + beta_i R_i <=
    sum_j H(x_j) up to ``collapsed_slack`` nats (every model can learn its output bias), and
    D_i + beta_i R_i <= D_j + beta_i R_j for every other point j up to ``optimality_slack``
    nats (training noise: a larger beta delays the moment a model starts to use z). A model
    that sends almost nothing (R_i < ``collapsed_rate``) sits in posterior collapse, a local
    optimum any VAE can fall into at a large beta; it is compared with the model that ignores
    z only. This holds for any model and any training that does its job; it fails when the
    reported R is not the rate that was trained (beta * R reported), when beta is not applied,
    or when the models are barely trained."""
    unphysical = physics_problem(points, bounds.get("entropy"), float(config["noise_nats"]))
    if unphysical:
        return f"{unphysical} So the models cannot be compared."
    slack, collapsed_slack = float(config["optimality_slack"]), float(config["collapsed_slack"])
    collapsed, collapsed_rate = float(bounds["collapsed"]), float(config["collapsed_rate"])
    for beta, r, d in sorted(points):
        own = d + beta * r
        if own > collapsed + collapsed_slack:
            return (f"The model trained with beta = {beta:g} has the loss D + beta * R = {d:.3f} + {beta:g} * "
                    f"{r:.3f} = {own:.3f} nats, worse than a model that ignores z: with R = 0 and each pixel "
                    f"drawn with its own frequency, D + beta * R = sum_j H(x_j) = {collapsed:.2f} nats, and "
                    "training finds at least that. Is each epoch a full pass over the data in minibatches, "
                    "with an optimiser step after every minibatch? Is beta applied to the rate (D + beta * R, "
                    "not beta * D), is R a batch mean (not a sum over the batch), and is the decoder trained "
                    "on z drawn from q(z|x) (z = mu + sigma * eps), as it is measured?")
    for beta, r, d in sorted(points):
        own = d + beta * r
        if r < collapsed_rate:
            continue
        for other_beta, other_r, other_d in sorted(points):
            alternative = other_d + beta * other_r
            if other_beta != beta and own > alternative + slack:
                return (f"Each model minimises its own loss, so the model trained with beta = {beta:g} should "
                        f"have the lowest D + {beta:g} * R of your sweep. It has {d:.3f} + {beta:g} * {r:.3f} = "
                        f"{own:.3f} nats, but the point of beta = {other_beta:g} gives {other_d:.3f} + {beta:g} * "
                        f"{other_r:.3f} = {alternative:.3f} nats, lower by more than training noise. Is the R "
                        "you report the rate the model was trained with (R itself, not beta * R), and is each "
                        "model trained on D + beta * R with its own beta?")
    return None


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
