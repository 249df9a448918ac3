"""Rate and distortion: the two halves of the ELBO, and the beta-VAE that trades one for the other.

For an encoder q(z|x), a decoder p(x|z) and the prior m(z) = N(0, I), averaged over the data:

* the rate       R = E_x KL(q(z|x) || N(0, I))                (nats),
* the distortion D = E_x E_{z ~ q(z|x)} [-log p(x|z)]          (nats, for the Bernoulli decoder),

and the negative ELBO is exactly D + R. A beta-VAE minimises D + beta * R: a small beta buys a
low distortion with a high rate, a large beta squeezes the rate towards 0 and lets the
distortion grow. See README.md for the math.

Fill in every function marked TODO (``rate``, ``distortion``, ``beta_sweep``). The model class
``BetaVAE`` is provided: nothing to fill in there. Conventions:

* Inputs are ``torch.Tensor``s whose leading dimension is the batch; sums run over the last
  dimension, means over the batch. Outputs are 0-dim tensors of the input's dtype and device.
* Logarithms are natural: rates and distortions are in nats.
* Never modify an input in place.

Check your work: in the unzipped student folder, run ``python -m autograder check rate_distortion``.
Once everything is filled in, ``python rate_distortion.py`` prints worked examples and a beta sweep.
Hand in ``rate_distortion.py`` or ``rate_distortion.ipynb``, not both.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class BetaVAE(nn.Module):
    """A small VAE for binary images (provided: nothing to fill in).

    Encoder: x -> hidden -> (mu, log_var) of a diagonal Gaussian q(z|x) over ``z_dim`` latents.
    Decoder: z -> hidden -> Bernoulli logits of the ``x_dim`` pixels (the parameters of p(x|z)).
    """

    def __init__(self, x_dim: int, z_dim: int = 8, hidden_dim: int = 128) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.encoder = nn.Sequential(nn.Linear(x_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 2 * z_dim))
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, x_dim))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(mu, log_var) of q(z|x), each of shape (B, z_dim)."""
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        return mu, log_var

    def decode(self, z: Tensor) -> Tensor:
        """Bernoulli logits of p(x|z), shape (B, x_dim)."""
        return self.decoder(z)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(logits, mu, log_var), with z = mu + exp(log_var / 2) * eps drawn by reparameterization."""
        mu, log_var = self.encode(x)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        return self.decode(z), mu, log_var


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    r"""The rate R: batch mean of :math:`\mathrm{KL}(q(z|x) \,\|\, \mathcal{N}(0, I))` in nats.

    For :math:`q(z|x) = \mathcal{N}(\mu, \mathrm{diag}\,\sigma^2)` with :math:`\sigma^2 = e^{\text{log\_var}}`,

    .. math::  \mathrm{KL}\big(\mathcal N(\mu, \mathrm{diag}\,\sigma^2) \,\|\, \mathcal N(0, I)\big)
               = \frac12 \sum_i \left(\mu_i^2 + \sigma_i^2 - 1 - \log \sigma_i^2\right)

    summed over the latent dimensions (the last dimension), then averaged over the batch.

    Args:
        mu: means of q(z|x), shape ``(B, z_dim)``.
        log_var: log-variances of q(z|x), same shape.

    Returns:
        R, a 0-dim tensor.
    """
    # TODO: closed-form KL to N(0, I), summed over the last dim, averaged over the batch
    raise NotImplementedError


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    r"""The distortion D between the data ``x`` and the decoder's output ``x_hat``, as a batch mean.

    Per example, summed over the last dimension:

    * ``"bernoulli"``: :math:`-\log p(x|z) = -\sum_j \left[x_j \log \sigma(\ell_j) + (1 - x_j) \log(1 - \sigma(\ell_j))\right]`
      with ``x_hat`` the logits :math:`\ell` (not probabilities);
    * ``"l2"``: :math:`\|x - \hat x\|_2^2 = \sum_j (x_j - \hat x_j)^2` (squared, no square root);
    * ``"l1"``: :math:`\|x - \hat x\|_1 = \sum_j |x_j - \hat x_j|`.

    For ``"l2"`` and ``"l1"``, ``x_hat`` is used as given (no sigmoid).

    Args:
        x: data, shape ``(B, x_dim)`` (values in {0, 1} for ``"bernoulli"``).
        x_hat: logits (``"bernoulli"``) or reconstructions (``"l2"``, ``"l1"``), same shape.
        kind: ``"bernoulli"``, ``"l2"`` or ``"l1"``.

    Returns:
        D, a 0-dim tensor.
    """
    # TODO: per-example distortion summed over the last dim, then averaged over the batch
    raise NotImplementedError


def beta_sweep(data: Tensor, betas: list[float], *, epochs: int, z_dim: int = 8,
               device: str = "cpu") -> list[tuple[float, float, float]]:
    r"""Train one beta-VAE per value of beta and measure where it lands in the (R, D) plane.

    For each ``beta`` in ``betas`` (in the order given): build a fresh ``BetaVAE(x_dim, z_dim)``
    (or a model of your own: see README section 4) on ``device`` and train it for ``epochs``
    passes over ``data`` (for example shuffled minibatches of 128, Adam with learning rate
    1e-3) on the beta-VAE loss

    .. math::  \mathcal{L}_\beta = D + \beta R

    with the Bernoulli distortion. After training, measure on the whole of ``data``, without
    gradients: R with :func:`rate` and D with :func:`distortion` (kind ``"bernoulli"``, z drawn
    from q(z|x) as in training). With beta = 1 the loss is the negative ELBO, D + R.

    Args:
        data: binary images, shape ``(N, x_dim)``, values in {0, 1} (on the CPU).
        betas: the values of beta to train with.
        epochs: passes over the data for each model.
        z_dim: number of latent dimensions.
        device: where to train (``"cpu"`` or ``"cuda"``).

    Returns:
        ``[(beta, R, D), ...]``: one tuple of three numbers per beta, in the order of ``betas``.
    """
    # TODO: train a fresh BetaVAE per beta on D + beta * R, then measure (beta, R, D) on data
    raise NotImplementedError


# --------------------------------------------------------------------------- running this file
def load_digits() -> Tensor:
    """The 1797 hand-written 8x8 digits that ship with this course (``autograder/data/digits.npz`` in
    the student folder), binarised at pixel >= 8: a float tensor ``(1797, 64)`` of values in {0, 1}."""
    try:
        from autograder.data import load_digits_binary  # in the unzipped student folder
    except ImportError:
        try:
            from sklearn.datasets import load_digits as sklearn_digits  # the same data, if installed
        except ImportError:
            raise SystemExit("The digits ship in the student folder: run this file in the unzipped "
                             "folder (the one holding autograder/), or install scikit-learn.") from None
        return torch.from_numpy((sklearn_digits().data >= 8).astype("float32"))
    return torch.from_numpy(load_digits_binary()[0])


def plot_sweep(points: list[tuple[float, float, float]], path: str) -> None:
    """The sweep in the rate-distortion plane (D across, R up), with the line of constant ELBO
    through the beta = 1 point, saved as an image (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")  # no window: write the file only
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(5.5, 4.2))
    points = sorted(points)
    ax.plot([d for _, _, d in points], [r for _, r, _ in points], "o-")
    for beta, r, d in points:
        ax.annotate(f"β={beta:g}", (d, r), textcoords="offset points", xytext=(5, 4))
        if beta == 1:
            ax.axline((d, r), slope=-1, linestyle=":", color="C3", label=f"D + R = {d + r:.1f}")
    ax.set_xlabel("distortion D (nats)")
    ax.set_ylabel("rate R (nats)")
    ax.legend()
    figure.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    """``python rate_distortion.py``: the worked examples, then a beta sweep on the digits, all
    computed with your functions. ``python rate_distortion.py --help`` lists the options; in a
    notebook, call ``main([])`` or, say, ``main(["--plot", "rd.png"])``."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Rate and distortion of beta-VAEs on binarised 8x8 digits.")
    parser.add_argument("--betas", type=float, nargs="+", default=[0.25, 1.0, 4.0], help="(default: 0.25 1 4)")
    parser.add_argument("--epochs", type=int, default=30, help="passes over the digits per model (default: 30)")
    parser.add_argument("--z-dim", type=int, default=8, help="latent dimensions (default: 8)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default: 1, the fastest for models this small)")
    parser.add_argument("--plot", metavar="FILE", help="also save the sweep's plot (needs matplotlib)")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    mu, log_var = torch.tensor([[0.0, 0.0], [1.0, 0.0]]), torch.tensor([[0.0, 0.0], [0.0, -2.0]])
    print(f"rate: q = N(0, I) -> {rate(mu[:1], log_var[:1]).item():.4f} nats; the batch "
          f"(N(0, I), N((1, 0), diag(1, e^-2))) -> {rate(mu, log_var).item():.4f} (by hand: (2 + e^-2) / 4)")
    x, x_hat = torch.tensor([[1.0, 0.0, 1.0]]), torch.tensor([[0.5, 0.5, 2.0]])
    print(f"distortion of x = (1, 0, 1), x_hat = (0.5, 0.5, 2): l2 {distortion(x, x_hat, 'l2').item():.4f}, "
          f"l1 {distortion(x, x_hat, 'l1').item():.4f}, Bernoulli with x_hat as logits "
          f"{distortion(x, x_hat).item():.4f} nats")

    data = load_digits()
    print(f"beta sweep: one BetaVAE per beta, {args.epochs} epochs on {len(data)} digits, on {args.device}")
    started = time.perf_counter()
    points = beta_sweep(data, args.betas, epochs=args.epochs, z_dim=args.z_dim, device=args.device)
    print(f"  {'beta':>6s} {'R':>8s} {'D':>8s} {'D + R':>8s} {'D + beta R':>11s}")
    for beta, r, d in points:
        print(f"  {beta:6g} {r:8.3f} {d:8.3f} {d + r:8.3f} {d + beta * r:11.3f}")
    print(f"  ({time.perf_counter() - started:.1f} s; R should fall and D rise as beta grows)")
    if args.plot:
        plot_sweep(points, args.plot)
        print(f"Wrote {args.plot}")


if __name__ == "__main__":
    import sys
    from pathlib import Path

    try:
        main()
    except NotImplementedError as error:  # a TODO left: say which, instead of a traceback
        where = error.__traceback__
        while where.tb_next is not None:
            where = where.tb_next
        code = where.tb_frame.f_code
        if Path(code.co_filename).resolve() != Path(__file__).resolve():
            raise
        sys.exit(f"{getattr(code, 'co_qualname', code.co_name)} (line {where.tb_lineno}) is still a TODO: "
                 "fill it in, then run this file again.")
