"""Wrong: the decoder is trained on z = mu (no reparameterized noise), so the encoder's
variance never matters to the reconstruction: the model is a deterministic autoencoder whose
rate can be shrunk by scaling mu down, not a beta-VAE."""
# expect-fail: 1.7 2.11
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
    kl = 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(dim=-1)
    return kl.mean()


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
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
    data = data.to(device=device, dtype=torch.float32)
    results = []
    for beta in betas:
        model = BetaVAE(data.shape[1], z_dim).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(epochs):
            for batch in torch.randperm(len(data), device=device).split(128):
                x = data[batch]
                mu, log_var = model.encode(x)
                logits = model.decode(mu)
                loss = distortion(x, logits) + beta * rate(mu, log_var)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            logits, mu, log_var = model(data)
            results.append((float(beta), rate(mu, log_var).item(), distortion(data, logits).item()))
    return results
