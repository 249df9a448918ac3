"""Judge-side math for the vae assignment (float64): the trusted loss and the baseline.
Not a reference solution; the hidden tests use it (the `judge` fixture), so it does not ship."""
from __future__ import annotations

import torch


def bernoulli_nll(x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """-log p(x | z) summed over pixels, per example (logits may carry a leading sample dim)."""
    x, logits = x.double(), logits.double()
    return torch.nn.functional.binary_cross_entropy_with_logits(logits, x.expand_as(logits),
                                                                reduction="none").sum(-1)


def kl_standard(mu: torch.Tensor, log_var: torch.Tensor) -> torch.Tensor:
    mu, log_var = mu.double(), log_var.double()
    return 0.5 * (log_var.exp() + mu**2 - 1 - log_var).sum(-1)


def factorised_baseline(train: torch.Tensor, held: torch.Tensor) -> float:
    """Negative log-likelihood of a model with no latent code: independent pixels with the
    training set's pixel means."""
    p = train.double().mean(0).clamp(1e-3, 1 - 1e-3)
    return float(-(held * p.log() + (1 - held) * (1 - p).log()).sum(-1).mean())


def training_data(config: dict, dataset: str = "digits", seed: int = 0):
    """(train, held-out A, held-out B) of ``dataset`` (the `dataset` fixture: ``digits``, shipped
    and the default, or ``mnist``, from ``autograder grade --dataset mnist``)."""
    if dataset != "mnist":
        return split_digits(seed)
    from autograder.data import load_mnist_binary

    x = torch.from_numpy(load_mnist_binary(split="train"))
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n, held = int(config["train_size"]), int(config["held_out"])
    return x[perm[:n]], x[perm[n:n + held]], x[perm[n + held:n + 2 * held]]


def split_digits(seed: int = 0):
    """The shipped 8x8 digits, split by the judge: 1500 to train on, two held-out halves."""
    from autograder.data import load_digits_binary

    images, _ = load_digits_binary()
    x = torch.from_numpy(images)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return x[perm[:1500]], x[perm[1500:1648]], x[perm[1648:]]
