"""Sample submission with a mistake: the VAE class left as a TODO (as in the template: __init__ raises) while everything else is right.
train_vae is then judged on the grader's own small VAE and sample_images on it too: only the tests
of the VAE and of the trained VAE (2.8, 2.9) may fail, and they blame the VAE.
"""
# expect-fail: 1.5 2.7 2.8 2.9 2.12 2.14
# patch: VAE


class VAE(nn.Module):
    def __init__(self, x_dim: int, z_dim: int, hidden_dim: int = 256) -> None:
        super().__init__()
        self.x_dim, self.z_dim = x_dim, z_dim
        raise NotImplementedError

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def decode(self, z: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        raise NotImplementedError
