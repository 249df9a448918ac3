"""Correct: Bernoulli distortion from sigmoid probabilities (less stable, still right on the tested
range), the template's model, and R, D measured in chunks of 512 examples."""
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

    def encode(self, x):
        return self.encoder(x).chunk(2, dim=-1)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, log_var = self.encode(x)
        eps = torch.randn_like(mu)
        return self.decode(mu + eps * torch.exp(0.5 * log_var)), mu, log_var


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    sigma2 = log_var.exp()
    kl = torch.sum(sigma2 + mu.square() - 1.0 - log_var, dim=1, keepdim=True) * 0.5
    return kl.mean()


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    batch = x.shape[0]
    if kind == "bernoulli":
        probs = torch.sigmoid(x_hat)
        return F.binary_cross_entropy(probs, x, reduction="none").sum(-1).mean()
    if kind == "l2":
        return ((x - x_hat) ** 2).sum(-1).mean()
    if kind == "l1":
        return F.l1_loss(x_hat, x, reduction="sum") / batch
    raise ValueError(kind)


def beta_sweep(data: Tensor, betas: list[float], *, epochs: int, z_dim: int = 8,
               device: str = "cpu") -> list[tuple[float, float, float]]:
    data = data.to(device)
    n, x_dim = data.shape
    results: list[tuple[float, float, float]] = []
    for beta in betas:
        model = BetaVAE(x_dim, z_dim).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()
        for epoch in range(epochs):
            perm = torch.randperm(n)
            for i in range(0, n, 128):
                xb = data[perm[i:i + 128].to(device)]
                logits, mu, log_var = model(xb)
                loss = distortion(xb, logits) + beta * rate(mu, log_var)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
        model.eval()
        total_r = total_d = 0.0
        with torch.inference_mode():
            for chunk in data.split(512):
                logits, mu, log_var = model(chunk)
                total_r += float(rate(mu, log_var)) * len(chunk)
                total_d += float(distortion(chunk, logits)) * len(chunk)
        results.append((float(beta), total_r / n, total_d / n))
    return results
