"""Correct: a small convolutional encoder on the 8x8 image (two 3x3 convolutions), log_var bounded
to (-6, 6) by 6 tanh(h / 6) and mu by nothing, a decoder with a transposed convolution, the data
moved to the device once, and the epoch loss as a mean over batches weighted by their size."""
# expect: full
import torch
import torch.nn.functional as F
from torch import nn


def gaussian_kl(mu_q, log_var_q, mu_p=None, log_var_p=None):
    if mu_p is None:
        mu_p = 0.0 * mu_q
    if log_var_p is None:
        log_var_p = 0.0 * log_var_q
    return 0.5 * torch.sum(log_var_p - log_var_q - 1
                           + (torch.exp(log_var_q) + (mu_q - mu_p) ** 2) / torch.exp(log_var_p), dim=-1)


def standardize(mu_q, log_var_q, mu_p, log_var_p):
    return (mu_q - mu_p) / torch.exp(log_var_p / 2), log_var_q - log_var_p


class VAE(nn.Module):
    def __init__(self, x_dim, z_dim, hidden_dim=256):
        super().__init__()
        self.x_dim, self.z_dim = x_dim, z_dim
        self.side = int(round(x_dim ** 0.5))
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)  # 8x8 -> 4x4
        flat = 32 * ((self.side + 1) // 2) ** 2
        self.fc = nn.Linear(flat, hidden_dim)
        self.head = nn.Linear(hidden_dim, 2 * z_dim)
        self.dec_fc = nn.Linear(z_dim, 32 * ((self.side + 1) // 2) ** 2)
        self.deconv = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)  # 4x4 -> 8x8
        self.out = nn.Conv2d(16, 1, 3, padding=1)

    def encode(self, x):
        h = x.reshape(-1, 1, self.side, self.side)
        h = F.relu(self.conv2(F.relu(self.conv1(h))))
        h = F.relu(self.fc(h.flatten(1)))
        mu, raw = self.head(h).chunk(2, dim=-1)
        return mu, 6.0 * torch.tanh(raw / 6.0)

    def decode(self, z):
        s = (self.side + 1) // 2
        h = F.relu(self.dec_fc(z)).reshape(-1, 32, s, s)
        h = F.relu(self.deconv(h))
        return self.out(h).reshape(-1, self.x_dim)

    def forward(self, x):
        mu, log_var = self.encode(x)
        z = mu + torch.randn_like(mu) * (0.5 * log_var).exp()
        return self.decode(z), mu, log_var


def negative_elbo(x, logits, mu, log_var, beta=1.0):
    rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1).mean()
    kl = gaussian_kl(mu, log_var).mean()
    return rec + beta * kl, rec, kl


def train_vae(model, data, *, epochs, batch_size=128, lr=1e-3, device="cpu"):
    model.to(device)
    data = data.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    out = []
    for _ in range(epochs):
        idx = torch.randperm(len(data), device=device)
        sizes, values = [], []
        for batch in data[idx].split(batch_size):
            loss = negative_elbo(batch, *model(batch))[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
            sizes.append(len(batch))
            values.append(loss.item())
        out.append(sum(s * v for s, v in zip(sizes, values)) / sum(sizes))
    return out


def sample_images(model, n, device="cpu"):
    with torch.no_grad():
        z = torch.randn(n, model.z_dim, device=device)
        return torch.sigmoid(model.decode(z))
