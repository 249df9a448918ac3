"""A variational autoencoder for binary images: forward pass, negative ELBO, training.

Fill in every TODO. Conventions: inputs and outputs are ``torch.Tensor``s; leading
dimensions are batch dimensions; sums run over the last dimension; outputs follow the
input's dtype and device; never modify an input in place.

Check your work: in the unzipped student folder, run ``python -m autograder check vae``.
Once everything is filled in, ``python vae.py`` trains your VAE on the digits and saves samples
(``python vae.py --help`` lists the options). Hand in ``vae.py`` or ``vae.ipynb``, not both.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def gaussian_kl(mu_q: Tensor, log_var_q: Tensor,
                mu_p: Tensor | None = None, log_var_p: Tensor | None = None) -> Tensor:
    r"""KL divergence between the diagonal Gaussians :math:`q = \mathcal N(\mu_q, \operatorname{diag}\sigma_q^2)`
    and :math:`p = \mathcal N(\mu_p, \operatorname{diag}\sigma_p^2)`, summed over the last dimension:

    .. math::
        \mathrm{KL}(q\,\|\,p) = \frac12 \sum_j \left[\log\frac{\sigma_{p,j}^2}{\sigma_{q,j}^2}
         + \frac{\sigma_{q,j}^2 + (\mu_{q,j} - \mu_{p,j})^2}{\sigma_{p,j}^2} - 1\right]

    with :math:`\sigma^2 = e^{\text{log\_var}}`. ``mu_p`` defaults to zeros and ``log_var_p``
    to zeros, each on its own (so the default prior is N(0, I)).

    Returns:
        shape ``(...)`` for inputs of shape ``(..., D)``.
    """
    # BEGIN SOLUTION (the closed-form KL above; default prior N(0, I))
    if mu_p is None:
        mu_p = torch.zeros_like(mu_q)
    if log_var_p is None:
        log_var_p = torch.zeros_like(log_var_q)
    ratio = torch.exp(log_var_q - log_var_p)  # sigma_q^2 / sigma_p^2
    mahalanobis = (mu_q - mu_p) ** 2 / torch.exp(log_var_p)
    return 0.5 * (ratio + mahalanobis - 1.0 - (log_var_q - log_var_p)).sum(dim=-1)
    # END SOLUTION


def standardize(mu_q: Tensor, log_var_q: Tensor, mu_p: Tensor, log_var_p: Tensor) -> tuple[Tensor, Tensor]:
    r"""Move the prior to N(0, I): the affine map :math:`z \mapsto (z - \mu_p) / \sigma_p` sends
    :math:`\mathcal N(\mu_p, \sigma_p^2)` to :math:`\mathcal N(0, I)`, and KL is unchanged by
    an invertible map applied to both arguments. So

    .. math::  \mu' = \frac{\mu_q - \mu_p}{\sigma_p}, \qquad \log \sigma'^2 = \log\sigma_q^2 - \log\sigma_p^2

    satisfy ``gaussian_kl(mu', log_var') == gaussian_kl(mu_q, log_var_q, mu_p, log_var_p)``.

    Returns:
        ``(mu', log_var')``.
    """
    # BEGIN SOLUTION (shift by mu_p and scale by sigma_p)
    sigma_p = torch.exp(0.5 * log_var_p)
    return (mu_q - mu_p) / sigma_p, log_var_q - log_var_p
    # END SOLUTION


class VAE(nn.Module):
    r"""Encoder :math:`q_\phi(z \mid x) = \mathcal N(\mu(x), \operatorname{diag} e^{\text{log\_var}(x)})`,
    decoder :math:`p_\theta(x \mid z) = \prod_i \mathrm{Bernoulli}(x_i; \operatorname{sigmoid}(\ell_i(z)))`.

    Any architecture works; one hidden layer of ``hidden_dim`` units with ReLU on each side
    is plenty, as in pytorch/examples' VAE.
    """

    def __init__(self, x_dim: int, z_dim: int, hidden_dim: int = 256) -> None:
        super().__init__()
        self.x_dim, self.z_dim = x_dim, z_dim
        # BEGIN SOLUTION (create the encoder and decoder layers)
        self.enc_hidden = nn.Linear(x_dim, hidden_dim)
        self.enc_mu = nn.Linear(hidden_dim, z_dim)
        self.enc_log_var = nn.Linear(hidden_dim, z_dim)
        self.dec_hidden = nn.Linear(z_dim, hidden_dim)
        self.dec_logits = nn.Linear(hidden_dim, x_dim)
        # END SOLUTION

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(mu, log_var)`` of q(z | x), each of shape ``(B, z_dim)``."""
        # BEGIN SOLUTION (hidden layer, then the two heads)
        h = F.relu(self.enc_hidden(x))
        return self.enc_mu(h), self.enc_log_var(h)
        # END SOLUTION

    def decode(self, z: Tensor) -> Tensor:
        """Bernoulli **logits** of p(x | z), shape ``(B, x_dim)`` (no sigmoid here)."""
        # BEGIN SOLUTION (hidden layer, then logits)
        return self.dec_logits(F.relu(self.dec_hidden(z)))
        # END SOLUTION

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        r"""Encode, draw :math:`z = \mu + e^{\text{log\_var}/2} \odot \varepsilon`,
        :math:`\varepsilon \sim \mathcal N(0, I)` (reparameterization, so gradients reach the
        encoder), decode. Returns ``(logits, mu, log_var)``."""
        # BEGIN SOLUTION (encode, reparameterize, decode)
        mu, log_var = self.encode(x)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        return self.decode(z), mu, log_var
        # END SOLUTION


def negative_elbo(x: Tensor, logits: Tensor, mu: Tensor, log_var: Tensor,
                  beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    r"""The loss a VAE minimises, averaged over the batch:

    .. math::
        \text{reconstruction} = -\log p(x \mid z) = -\sum_i \big[x_i \log s_i + (1 - x_i)\log(1 - s_i)\big],
        \quad s = \operatorname{sigmoid}(\text{logits})

        \text{kl} = \mathrm{KL}(q(z \mid x) \,\|\, \mathcal N(0, I)), \qquad
        \text{loss} = \text{reconstruction} + \beta \cdot \text{kl}

    The sum over pixels makes the reconstruction a log-likelihood of the whole image (in
    nats), on the same scale as the KL. Compute it from the logits
    (``F.binary_cross_entropy_with_logits``), which is stable.

    Returns:
        ``(loss, reconstruction, kl)``: three 0-dim tensors; ``loss`` is differentiable.
    """
    # BEGIN SOLUTION (Bernoulli negative log-likelihood summed over pixels, KL, both batch means)
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(dim=-1).mean()
    kl = gaussian_kl(mu, log_var).mean()
    return reconstruction + beta * kl, reconstruction, kl
    # END SOLUTION


def train_vae(model: VAE, data: Tensor, *, epochs: int, batch_size: int = 128,
              lr: float = 1e-3, device: str = "cpu") -> list[float]:
    """Train ``model`` in place on ``data`` (``(N, x_dim)``, values in {0, 1}) with Adam for
    ``epochs`` passes over shuffled minibatches, on ``device``.

    Returns:
        per epoch, the mean of ``negative_elbo(...)[0]`` (beta = 1) over that epoch's batches.
    """
    # BEGIN SOLUTION (the usual loop: shuffle, forward, loss, backward, step)
    model.to(device)
    model.train()
    data = data.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(data), device=device)
        total, count = 0.0, 0
        for start in range(0, len(data), batch_size):
            batch = data[order[start:start + batch_size]]
            loss, _, _ = negative_elbo(batch, *model(batch))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            count += len(batch)
        history.append(total / count)
    return history
    # END SOLUTION


def sample_images(model: VAE, n: int, device: str = "cpu") -> Tensor:
    r"""Generate: decode :math:`z \sim \mathcal N(0, I)` ("decompressing noise") and return
    the Bernoulli means :math:`\operatorname{sigmoid}(\text{logits})`, in [0, 1], shape ``(n, x_dim)``."""
    # BEGIN SOLUTION (draw z from the prior, decode, squash)
    with torch.no_grad():
        z = torch.randn(n, model.z_dim, device=device)
        return torch.sigmoid(model.decode(z))
    # END SOLUTION



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


def save_images(images: Tensor, path: str, columns: int = 8) -> str:
    """Save square grey-level images (the rows of ``images``, values in [0, 1]) as one figure: a
    PNG with matplotlib, else a plain PGM file (``path`` with the suffix ``.pgm``). Returns the
    file written."""
    side = math.isqrt(images.shape[1])
    images = images.detach().cpu().reshape(-1, side, side)
    rows = math.ceil(len(images) / columns)
    try:
        import matplotlib

        matplotlib.use("Agg")  # no window: write the file only
        import matplotlib.pyplot as plt
    except ImportError:  # a PGM needs no library: a header, then one byte per pixel
        grid = torch.zeros(rows * (side + 1) + 1, columns * (side + 1) + 1)
        for i, image in enumerate(images):
            top, left = 1 + (i // columns) * (side + 1), 1 + (i % columns) * (side + 1)
            grid[top:top + side, left:left + side] = image
        grid = grid.repeat_interleave(8, 0).repeat_interleave(8, 1)  # 8 screen pixels per pixel
        pixels = ((1 - grid) * 255).round().to(torch.uint8)  # ink (1) is black
        target = Path(path).with_suffix(".pgm")
        target.write_bytes(f"P5 {pixels.shape[1]} {pixels.shape[0]} 255\n".encode() + bytes(pixels.flatten().tolist()))
        return str(target)
    figure, axes = plt.subplots(rows, columns, figsize=(columns, rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(images):
            ax.imshow(images[i].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.axis("off")
    figure.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> None:
    """``python vae.py``: train a VAE on the digits with your functions, then generate digits.
    ``python vae.py --help`` lists the options; in a notebook, call ``main([])`` or, say,
    ``main(["--epochs", "100"])``."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="Train a VAE on binarised 8x8 digits and save samples from it.")
    parser.add_argument("--epochs", type=int, default=50, help="passes over the training digits (default: 50)")
    parser.add_argument("--batch-size", type=int, default=128, help="digits per minibatch (default: 128)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default: 1e-3)")
    parser.add_argument("--z-dim", type=int, default=8, help="latent dimensions (default: 8)")
    parser.add_argument("--hidden-dim", type=int, default=256, help="hidden units (default: 256)")
    parser.add_argument("--samples", type=int, default=64, help="digits to generate (default: 64)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads for torch (default: 1, the fastest for a model this small)")
    parser.add_argument("--out", default="vae_samples.png", help="the figure of samples (default: vae_samples.png)")
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    data = load_digits()
    data = data[torch.randperm(len(data))]
    train, held_out = data[:1500], data[1500:]
    model = VAE(data.shape[1], args.z_dim, args.hidden_dim)
    print(f"Training VAE({data.shape[1]}, {args.z_dim}, hidden_dim={args.hidden_dim}) on {len(train)} digits, "
          f"{args.epochs} epochs, on {args.device}")
    started = time.perf_counter()
    history = train_vae(model, train, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                        device=args.device)
    for epoch, loss in enumerate(history, 1):
        if epoch == 1 or epoch % 10 == 0 or epoch == len(history):
            print(f"  epoch {epoch:3d}: mean negative ELBO {loss:6.2f} nats")
    print(f"  trained in {time.perf_counter() - started:.1f} s")

    model.eval()
    with torch.no_grad():
        x = held_out.to(args.device)
        loss, reconstruction, kl = negative_elbo(x, *model(x))
    print(f"Held-out digits ({len(held_out)}): negative ELBO {loss.item():.2f} nats "
          f"= reconstruction {reconstruction.item():.2f} + KL {kl.item():.2f}")
    written = save_images(sample_images(model, args.samples, device=args.device), args.out)
    print(f"Wrote {written}: {args.samples} digits decoded from z ~ N(0, I)")


if __name__ == "__main__":
    import sys

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
