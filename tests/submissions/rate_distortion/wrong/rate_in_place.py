"""Wrong: rate exponentiates log_var in place (log_var.exp_()), changing its input."""
# expect-fail: 1.1 1.2 1.6 1.7 2.1 2.2 2.3 2.8 2.9 2.10 2.11
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class BetaVAE(nn.Module):
    """A small VAE for binary images (provided; not graded).

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

    .. math::  \mathrm{KL} = \frac12 \sum_i \left(\mu_i^2 + \sigma_i^2 - 1 - \log \sigma_i^2\right)

    summed over the latent dimensions (the last dimension), then averaged over the batch.

    Args:
        mu: means of q(z|x), shape ``(B, z_dim)``.
        log_var: log-variances of q(z|x), same shape.

    Returns:
        R, a 0-dim tensor.
    """
    kl = 0.5 * (mu.pow(2) - 1.0 - log_var + log_var.exp_()).sum(dim=-1)
    return kl.mean()


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
    if kind == "bernoulli":
        per_pixel = F.binary_cross_entropy_with_logits(x_hat, x, reduction="none")
    elif kind == "l2":
        per_pixel = (x - x_hat).pow(2)
    elif kind == "l1":
        per_pixel = (x - x_hat).abs()
    else:
        raise ValueError(f"unknown distortion kind {kind!r}: use 'bernoulli', 'l2' or 'l1'")
    return per_pixel.sum(dim=-1).mean()


def beta_sweep(data: Tensor, betas: list[float], *, epochs: int, z_dim: int = 8,
               device: str = "cpu") -> list[tuple[float, float, float]]:
    r"""Train one beta-VAE per value of beta and measure where it lands in the (R, D) plane.

    For each ``beta`` in ``betas`` (in the order given): build a fresh ``BetaVAE(x_dim, z_dim)``
    on ``device`` and train it for ``epochs`` passes over ``data`` (shuffled minibatches of
    128, Adam with learning rate 1e-3) on the beta-VAE loss

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
    data = data.to(device=device, dtype=torch.float32)
    results = []
    for beta in betas:
        model = BetaVAE(data.shape[1], z_dim).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(epochs):
            for batch in torch.randperm(len(data), device=device).split(128):
                x = data[batch]
                logits, mu, log_var = model(x)
                loss = distortion(x, logits) + beta * rate(mu, log_var)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            logits, mu, log_var = model(data)
            results.append((float(beta), rate(mu, log_var).item(), distortion(data, logits).item()))
    return results
