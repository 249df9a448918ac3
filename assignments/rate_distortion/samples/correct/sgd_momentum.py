"""Correct: the template's BetaVAE trained with SGD and momentum (lr 1e-3, momentum 0.9), a
slower optimiser than Adam: its curve is flatter, but it is a rate-distortion trade-off."""
# expect: full
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class BetaVAE(nn.Module):
    def __init__(self, x_dim: int, z_dim: int = 8, hidden_dim: int = 128) -> None:
        super().__init__()
        self.z_dim = z_dim
        self.encoder = nn.Sequential(nn.Linear(x_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 2 * z_dim))
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, x_dim))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        return mu, log_var

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, log_var = self.encode(x)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        return self.decode(z), mu, log_var


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    return torch.mean(0.5 * torch.sum(mu ** 2 + torch.exp(log_var) - 1 - log_var, dim=-1))


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        per_pixel = F.binary_cross_entropy_with_logits(x_hat, x, reduction="none")
    elif kind == "l2":
        per_pixel = (x - x_hat) ** 2
    elif kind == "l1":
        per_pixel = torch.abs(x - x_hat)
    else:
        raise ValueError(kind)
    return torch.mean(torch.sum(per_pixel, dim=-1))


def beta_sweep(data, betas, *, epochs, z_dim=8, device="cpu"):
    data = data.to(device=device, dtype=torch.float32)
    results = []
    for beta in betas:
        model = BetaVAE(data.shape[1], z_dim).to(device)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
        for _ in range(epochs):
            for idx in torch.randperm(len(data), device=device).split(128):
                logits, mu, log_var = model(data[idx])
                loss = distortion(data[idx], logits) + beta * rate(mu, log_var)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        with torch.no_grad():
            logits, mu, log_var = model(data)
            results.append((beta, rate(mu, log_var).item(), distortion(data, logits).item()))
    return results
