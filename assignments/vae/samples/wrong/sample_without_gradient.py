"""Sample submission with a mistake: sample_without_gradient."""
# expect-fail: 2.7 2.8 2.9
# patch: VAE


class VAE(nn.Module):
    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, log_var = self.encode(x)
        z = torch.distributions.Normal(mu, torch.exp(0.5 * log_var)).sample()
        return self.decode(z), mu, log_var
