"""Sample submission with a mistake: the VAE builds its layers but encode, decode and forward are still TODOs.
train_vae fails inside forward: it is judged again on the grader's own small VAE, so only the
tests of the VAE and of the trained VAE (2.8, 2.9) may fail, and they blame the VAE.
"""
# expect-fail: 1.5 2.7 2.8 2.9 2.12 2.14
# patch: VAE


class VAE(nn.Module):
    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def decode(self, z: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        raise NotImplementedError
