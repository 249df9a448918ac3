"""Correct: two hidden layers with tanh, torch.distributions for the likelihood and the KL,
a DataLoader for training."""
# expect: full
import torch
from torch import nn
from torch.distributions import Bernoulli, Normal, kl_divergence
from torch.utils.data import DataLoader, TensorDataset


def gaussian_kl(mu_q, log_var_q, mu_p=None, log_var_p=None):
    mu_p = torch.zeros_like(mu_q) if mu_p is None else mu_p
    log_var_p = torch.zeros_like(log_var_q) if log_var_p is None else log_var_p
    q = Normal(mu_q, torch.exp(0.5 * log_var_q))
    p = Normal(mu_p, torch.exp(0.5 * log_var_p))
    return kl_divergence(q, p).sum(-1)


def standardize(mu_q, log_var_q, mu_p, log_var_p):
    return (mu_q - mu_p) * torch.exp(-0.5 * log_var_p), log_var_q - log_var_p


class VAE(nn.Module):
    def __init__(self, x_dim, z_dim, hidden_dim=256):
        super().__init__()
        self.z_dim = z_dim
        self.encoder = nn.Sequential(nn.Linear(x_dim, hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, 128), nn.Tanh())
        self.head = nn.Linear(128, 2 * z_dim)
        self.decoder = nn.Sequential(nn.Linear(z_dim, 128), nn.Tanh(), nn.Linear(128, hidden_dim), nn.Tanh(),
                                     nn.Linear(hidden_dim, x_dim))

    def encode(self, x):
        mu, log_var = self.head(self.encoder(x)).chunk(2, dim=-1)
        return mu, log_var

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, log_var = self.encode(x)
        z = Normal(mu, torch.exp(0.5 * log_var)).rsample()
        return self.decode(z), mu, log_var


def negative_elbo(x, logits, mu, log_var, beta=1.0):
    rec = -Bernoulli(logits=logits).log_prob(x).sum(-1).mean()
    kl = gaussian_kl(mu, log_var).mean()
    return rec + beta * kl, rec, kl


def train_vae(model, data, *, epochs, batch_size=128, lr=1e-3, device="cpu"):
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loader = DataLoader(TensorDataset(data), batch_size=batch_size, shuffle=True)
    history = []
    for _ in range(epochs):
        losses, sizes = [], []
        for (batch,) in loader:
            batch = batch.to(device)
            loss = negative_elbo(batch, *model(batch))[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            sizes.append(len(batch))
        history.append(sum(l * s for l, s in zip(losses, sizes)) / sum(sizes))
    return history


@torch.no_grad()
def sample_images(model, n, device="cpu"):
    return torch.sigmoid(model.decode(torch.randn(n, model.z_dim, device=device)))
