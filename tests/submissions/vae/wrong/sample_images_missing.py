"""Sample submission with a mistake: sample_images is missing (renamed or deleted); the other functions are right.

A variational autoencoder for binary images: forward pass, negative ELBO, training.

Fill in every TODO. Conventions: inputs and outputs are ``torch.Tensor``s; leading
dimensions are batch dimensions; sums run over the last dimension; outputs follow the
input's dtype and device; never modify an input in place.

Check your work with ``autograder check vae vae.py``.
"""
# expect-fail: 1.7 2.11 2.13
# remove: sample_images
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def gaussian_kl(mu_q: Tensor, log_var_q: Tensor,
                mu_p: Tensor | None = None, log_var_p: Tensor | None = None) -> Tensor:
    r"""KL divergence between diagonal Gaussians, summed over the last dimension:

    .. math::
        \mathrm{KL}\big(\mathcal N(\mu_q, \operatorname{diag} \sigma_q^2) \,\|\,
                        \mathcal N(\mu_p, \operatorname{diag} \sigma_p^2)\big)
        = \tfrac12 \sum_j \Big[\log \frac{\sigma_{p,j}^2}{\sigma_{q,j}^2}
          + \frac{\sigma_{q,j}^2 + (\mu_{q,j} - \mu_{p,j})^2}{\sigma_{p,j}^2} - 1\Big]

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

    Any architecture works (the grader never looks inside); one hidden layer of
    ``hidden_dim`` units with ReLU on each side is plenty, as in pytorch/examples' VAE.
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


