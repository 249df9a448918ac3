"""Wrong: the held-out curve builds the KDE on the held-out points and scores the training set."""
# expect-fail: 1.8 2.15 2.17 2.18


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    train_nll = torch.stack([-kde_log_likelihood(train, train, s) for s in sigmas])
    heldout_nll = torch.stack([-kde_log_likelihood(heldout, train, s) for s in sigmas])
    return train_nll, heldout_nll
