"""Correct: the encoder predicts the variance itself through softplus (positive, and free to go
far below 1) and returns log_var = log(softplus(h) + 1e-5); forward draws z with
torch.distributions.Normal(...).rsample(); SiLU layers of 300; minibatches from torch.split of a
permuted copy of the data; the KL through torch.distributions."""
# expect: full
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal, kl_divergence


def gaussian_kl(mu_q, log_var_q, mu_p=None, log_var_p=None):
    if mu_p is None:
        mu_p = torch.zeros_like(mu_q)
    if log_var_p is None:
        log_var_p = torch.zeros_like(log_var_q)
    q = Normal(mu_q, torch.exp(0.5 * log_var_q))
    p = Normal(mu_p, torch.exp(0.5 * log_var_p))
    return kl_divergence(q, p).sum(-1)


def standardize(mu_q, log_var_q, mu_p, log_var_p):
    sigma_p = torch.exp(0.5 * log_var_p)
    return (mu_q - mu_p) / sigma_p, log_var_q - log_var_p


class VAE(nn.Module):
    def __init__(self, x_dim, z_dim, hidden_dim=300):
        super().__init__()
        self.z_dim = z_dim
        self.body = nn.Sequential(nn.Linear(x_dim, hidden_dim), nn.SiLU())
        self.mu = nn.Linear(hidden_dim, z_dim)
        self.var = nn.Linear(hidden_dim, z_dim)
        self.dec = nn.Sequential(nn.Linear(z_dim, hidden_dim), nn.SiLU(), nn.Linear(hidden_dim, x_dim))

    def encode(self, x):
        h = self.body(x)
        variance = F.softplus(self.var(h)) + 1e-5
        return self.mu(h), torch.log(variance)

    def decode(self, z):
        return self.dec(z)

    def forward(self, x):
        mu, log_var = self.encode(x)
        z = Normal(mu, torch.exp(0.5 * log_var)).rsample()
        return self.decode(z), mu, log_var


def negative_elbo(x, logits, mu, log_var, beta=1.0):
    log_lik = -F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    rec = -log_lik.mean()
    kl = gaussian_kl(mu, log_var).mean()
    return rec + beta * kl, rec, kl


def train_vae(model, data, *, epochs, batch_size=128, lr=1e-3, device="cpu"):
    model = model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        shuffled = data[torch.randperm(len(data))].to(device)
        weighted = 0.0
        for batch in torch.split(shuffled, batch_size):
            loss, _, _ = negative_elbo(batch, *model(batch))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            weighted += loss.item() * len(batch)
        history.append(weighted / len(shuffled))
    return history


def sample_images(model, n, device="cpu"):
    z = Normal(torch.zeros(n, model.z_dim, device=device), torch.ones(n, model.z_dim, device=device)).sample()
    with torch.no_grad():
        return torch.sigmoid(model.decode(z))
