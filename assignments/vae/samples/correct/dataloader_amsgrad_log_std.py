"""Correct: a torch DataLoader over a TensorDataset (shuffle=True, the last batch kept), Adam with
amsgrad and its own betas, two LeakyReLU layers of 200 on each side, an encoder head that predicts
log sigma (log_var = 2 log sigma), the per-epoch loss weighted by batch size, and sample_images
calling the decoder module directly (not model.decode)."""
# expect: full
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def gaussian_kl(mu_q, log_var_q, mu_p=None, log_var_p=None):
    mu_p = torch.zeros_like(mu_q) if mu_p is None else mu_p
    log_var_p = torch.zeros_like(log_var_q) if log_var_p is None else log_var_p
    var_ratio = torch.exp(log_var_q - log_var_p)
    return 0.5 * (var_ratio + (mu_q - mu_p).pow(2) / log_var_p.exp() - 1 - log_var_q + log_var_p).sum(-1)


def standardize(mu_q, log_var_q, mu_p, log_var_p):
    return (mu_q - mu_p) * torch.exp(-0.5 * log_var_p), log_var_q - log_var_p


class VAE(nn.Module):
    def __init__(self, x_dim, z_dim, hidden_dim=200):
        super().__init__()
        self.x_dim, self.z_dim = x_dim, z_dim
        self.encoder = nn.Sequential(nn.Linear(x_dim, hidden_dim), nn.LeakyReLU(0.1),
                                     nn.Linear(hidden_dim, hidden_dim), nn.LeakyReLU(0.1))
        self.mu_head = nn.Linear(hidden_dim, z_dim)
        self.log_std_head = nn.Linear(hidden_dim, z_dim)
        self.decoder = nn.Sequential(nn.Linear(z_dim, hidden_dim), nn.LeakyReLU(0.1),
                                     nn.Linear(hidden_dim, hidden_dim), nn.LeakyReLU(0.1),
                                     nn.Linear(hidden_dim, x_dim))

    def encode(self, x):
        h = self.encoder(x)
        log_std = self.log_std_head(h)
        return self.mu_head(h), 2.0 * log_std

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, log_var = self.encode(x)
        std = torch.exp(log_var / 2)
        z = mu + std * torch.randn(mu.shape, device=mu.device, dtype=mu.dtype)
        return self.decode(z), mu, log_var


def negative_elbo(x, logits, mu, log_var, beta=1.0):
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
    kl = gaussian_kl(mu, log_var).mean()
    return rec + beta * kl, rec, kl


def train_vae(model, data, *, epochs, batch_size=128, lr=1e-3, device="cpu"):
    model.to(device)
    loader = DataLoader(TensorDataset(data), batch_size=batch_size, shuffle=True)
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(0.9, 0.99), amsgrad=True)
    losses = []
    for _ in range(epochs):
        model.train()
        total, seen = 0.0, 0
        for (batch,) in loader:
            batch = batch.to(device)
            loss = negative_elbo(batch, *model(batch))[0]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(batch)
            seen += len(batch)
        losses.append(total / seen)
    return losses


def sample_images(model, n, device="cpu"):
    with torch.no_grad():  # through the decoder module itself, not model.decode
        return torch.sigmoid(model.decoder(torch.randn(n, model.z_dim, device=device)))
