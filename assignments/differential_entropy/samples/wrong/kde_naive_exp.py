"""Wrong: log of the mean of exp (no log-sum-exp): underflows to -inf at small sigma in high dimension."""
# expect-fail: 1.7 2.14 2.15 2.16 2.17


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    n, d = train.shape
    squared = ((x[:, None, :] - train[None, :, :]) ** 2).sum(dim=-1)
    kernels = torch.exp(-squared / (2 * sigma**2)) / (2 * math.pi * float(sigma) ** 2) ** (d / 2)
    return torch.log(kernels.mean(dim=1)).mean()
