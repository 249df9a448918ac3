"""Wrong: the training curve leaves each point out of its own sum (leave-one-out), which the API excludes."""
# expect-fail: 1.8 2.15 2.16 2.17 2.18


def train_and_heldout_nll(train: Tensor, heldout: Tensor, sigmas: Tensor) -> tuple[Tensor, Tensor]:
    n, d = train.shape
    squared = ((train[:, None, :] - train[None, :, :]) ** 2).sum(dim=-1)
    self_pairs = torch.eye(n, dtype=torch.bool)
    train_nll = []
    for s in sigmas:
        log_kernel = -squared / (2 * s**2) - 0.5 * d * math.log(2 * math.pi * float(s) ** 2)
        log_kernel = log_kernel.masked_fill(self_pairs, -math.inf)
        train_nll.append(-(torch.logsumexp(log_kernel, dim=1) - math.log(n - 1)).mean())
    heldout_nll = torch.stack([-kde_log_likelihood(train, heldout, s) for s in sigmas])
    return torch.stack(train_nll), heldout_nll
