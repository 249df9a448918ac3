"""Wrong: kernels without their normaliser (2 pi sigma^2)^(d/2)."""
# expect-fail: 1.6 1.7 1.8 2.12 2.13 2.14 2.15 2.16 2.17 2.18


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    n, d = train.shape
    squared = ((x[:, None, :] - train[None, :, :]) ** 2).sum(dim=-1)
    return (torch.logsumexp(-squared / (2 * sigma**2), dim=1) - math.log(n)).mean()
