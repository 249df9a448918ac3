"""Correct: its own model, two hidden layers of 64 LeakyReLU units in the encoder and the decoder,
trained through a DataLoader (batches of 128, Adam)."""
# expect: full
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    return 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(dim=-1).mean()


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "bernoulli":
        return F.binary_cross_entropy_with_logits(x_hat, x, reduction="none").sum(dim=-1).mean()
    if kind == "l2":
        return (x - x_hat).pow(2).sum(dim=-1).mean()
    if kind == "l1":
        return (x - x_hat).abs().sum(dim=-1).mean()
    raise ValueError(f"unknown kind {kind!r}")


def mlp(n_in: int, n_out: int, hidden: int = 64) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.LeakyReLU(),
                         nn.Linear(hidden, hidden), nn.LeakyReLU(),
                         nn.Linear(hidden, n_out))


class VAE(nn.Module):
    def __init__(self, x_dim: int, z_dim: int) -> None:
        super().__init__()
        self.encoder = mlp(x_dim, 2 * z_dim)
        self.decoder = mlp(z_dim, x_dim)

    def forward(self, x: Tensor):
        mu, log_var = self.encoder(x).chunk(2, dim=-1)
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        return self.decoder(z), mu, log_var


def beta_sweep(data: Tensor, betas: list[float], *, epochs: int, z_dim: int = 8,
               device: str = "cpu") -> list[tuple[float, float, float]]:
    data = data.float()
    loader = DataLoader(TensorDataset(data), batch_size=128, shuffle=True)
    results = []
    for beta in betas:
        model = VAE(data.shape[1], z_dim).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()
        for _ in range(epochs):
            for (x,) in loader:
                x = x.to(device)
                logits, mu, log_var = model(x)
                loss = distortion(x, logits) + beta * rate(mu, log_var)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        model.eval()
        with torch.no_grad():
            x = data.to(device)
            logits, mu, log_var = model(x)
            results.append((beta, float(rate(mu, log_var)), float(distortion(x, logits))))
    return results
