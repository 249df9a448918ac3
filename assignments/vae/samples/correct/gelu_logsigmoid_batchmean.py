"""Correct: two hidden layers of 128 with GELU/SiLU, one encoder head cut in two, the Bernoulli
log-likelihood written with logsigmoid by hand, z drawn with torch.normal of a standard normal,
data kept on the CPU and moved batch by batch, and the epoch loss an unweighted mean over batches
(the last, smaller batch counts as one)."""
# expect: full
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def gaussian_kl(mu_q: Tensor, log_var_q: Tensor, mu_p: Tensor | None = None,
                log_var_p: Tensor | None = None) -> Tensor:
    mu_p = 0.0 if mu_p is None else mu_p  # python numbers broadcast like zeros
    log_var_p = torch.zeros_like(log_var_q) if log_var_p is None else log_var_p
    diff = log_var_q - log_var_p
    return 0.5 * torch.sum(torch.exp(diff) + (mu_q - mu_p) ** 2 * torch.exp(-log_var_p) - 1 - diff, dim=-1)


def standardize(mu_q, log_var_q, mu_p, log_var_p):
    inv_std = torch.exp(-log_var_p / 2)
    return mu_q * inv_std - mu_p * inv_std, log_var_q - log_var_p


class VAE(nn.Module):
    def __init__(self, x_dim: int, z_dim: int, hidden_dim: int = 128) -> None:
        super().__init__()
        self.latent = z_dim
        self.enc = nn.Sequential(nn.Linear(x_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, hidden_dim),
                                 nn.GELU(), nn.Linear(hidden_dim, 2 * z_dim))
        self.dec = nn.Sequential(nn.Linear(z_dim, hidden_dim), nn.SiLU(), nn.Linear(hidden_dim, hidden_dim),
                                 nn.SiLU(), nn.Linear(hidden_dim, x_dim))

    def encode(self, x):
        out = self.enc(x)
        return out[:, :self.latent], out[:, self.latent:]

    def decode(self, z):
        return self.dec(z)

    def forward(self, x):
        mu, log_var = self.encode(x)
        eps = torch.normal(torch.zeros_like(mu), torch.ones_like(mu))
        z = mu + eps * (0.5 * log_var).exp()
        return self.decode(z), mu, log_var


def negative_elbo(x, logits, mu, log_var, beta=1.0):
    log_lik = x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)
    reconstruction = -log_lik.sum(dim=1).mean()
    kl = gaussian_kl(mu, log_var).mean()
    return reconstruction + beta * kl, reconstruction, kl


def train_vae(model, data, *, epochs, batch_size=128, lr=1e-3, device="cpu"):
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        batch_losses = []
        for idx in torch.randperm(len(data)).split(batch_size):
            x = data[idx].to(device)
            loss = negative_elbo(x, *model(x))[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
            batch_losses.append(float(loss))
        history.append(sum(batch_losses) / len(batch_losses))
    return history


def sample_images(model, n, device="cpu"):
    with torch.no_grad():
        return torch.sigmoid(model.decode(torch.randn(n, model.latent, device=device)))
