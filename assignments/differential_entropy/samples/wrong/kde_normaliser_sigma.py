"""Wrong: the normaliser with sigma where it needs sigma^2: (d/2) ln(2 pi sigma)."""
# expect-fail: 1.7 1.8 2.12 2.13 2.14 2.15 2.16 2.17 2.18


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    n, d = train.shape
    squared = ((x[:, None, :] - train[None, :, :]) ** 2).sum(dim=-1)
    log_kernel = -squared / (2 * sigma**2) - 0.5 * d * math.log(2 * math.pi * float(sigma))
    return (torch.logsumexp(log_kernel, dim=1) - math.log(n)).mean()
