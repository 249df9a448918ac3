"""Sample submission with a mistake: z_is_mu."""
# expect-fail: 2.7 2.8 2.12 2.14
# patch: VAE


class VAE(nn.Module):
    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        mu, log_var = self.encode(x)
        z = mu
        return self.decode(z), mu, log_var
