"""Correct: torch.distributions, float64 arithmetic cast back, tensors returned, z = mu at measurement."""
# expect: full
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Bernoulli, Normal, kl_divergence


def rate(mu: Tensor, log_var: Tensor) -> Tensor:
    q = Normal(mu.double(), torch.exp(0.5 * log_var.double()))
    p = Normal(torch.zeros_like(mu, dtype=torch.float64), torch.ones_like(mu, dtype=torch.float64))
    return kl_divergence(q, p).sum(-1).mean().to(mu.dtype)


def distortion(x: Tensor, x_hat: Tensor, kind: str = "bernoulli") -> Tensor:
    if kind == "l1":
        return torch.linalg.vector_norm(x - x_hat, ord=1, dim=-1).mean()
    if kind == "l2":
        return F.mse_loss(x_hat, x, reduction="none").sum(-1).mean()
    if kind == "bernoulli":
        return -Bernoulli(logits=x_hat).log_prob(x).sum(-1).mean()
    raise ValueError(f"unknown kind {kind}")


class VAE(nn.Module):
    def __init__(self, x_dim, z_dim):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(x_dim, 256), nn.ReLU(), nn.Linear(256, 2 * z_dim))
        self.dec = nn.Sequential(nn.Linear(z_dim, 256), nn.ReLU(), nn.Linear(256, x_dim))

    def forward(self, x):
        mu, log_var = self.enc(x).chunk(2, -1)
        z = mu + (0.5 * log_var).exp() * torch.randn_like(mu)
        return self.dec(z), mu, log_var


def beta_sweep(data: Tensor, betas: list[float], *, epochs: int, z_dim: int = 8,
               device: str = "cpu") -> list[tuple[float, float, float]]:
    data = data.float().to(device)
    n = data.shape[0]
    sweep = []
    for beta in betas:
        model = VAE(data.shape[1], z_dim).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(epochs):
            order = torch.randperm(n, device=device)
            for start in range(0, n, 100):
                xb = data[order[start:start + 100]]
                logits, mu, log_var = model(xb)
                loss = distortion(xb, logits) + beta * rate(mu, log_var)
                opt.zero_grad()
                loss.backward()
                opt.step()
        model.eval()
        with torch.no_grad():
            mu, log_var = model.enc(data).chunk(2, -1)
            sweep.append([torch.tensor(beta), rate(mu, log_var), distortion(data, model.dec(mu))])
    return sweep
