"""Wrong: returns (held-out NLL, training NLL)."""
# expect-fail: 1.8 2.15 2.16 2.17 2.18


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    train_nll = torch.stack([-kde_log_likelihood(train, train, s) for s in sigmas])
    heldout_nll = torch.stack([-kde_log_likelihood(train, heldout, s) for s in sigmas])
    return heldout_nll, train_nll
