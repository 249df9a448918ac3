"""Sample submission with a mistake: sigma_is_exp_log_var."""
# expect-fail: 2.12
# patch: VAE


class VAE(nn.Module):
    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, log_var = self.encode(x)
        z = mu + torch.exp(log_var) * torch.randn_like(mu)
        return self.decode(z), mu, log_var
