"""Wrong: computes everything in float64 and forgets to cast back (float32 in, float64 out)."""
# expect-fail: 1.1 1.4 1.5 1.9 1.12 2.2 2.8 2.11 2.13 2.18 2.21 2.23


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return torch.log(sigma.double()) + 0.5 * math.log(2 * math.pi * math.e)


def gaussian_kl(mu_p: Tensor, sigma_p: Tensor, mu_q: Tensor, sigma_q: Tensor) -> Tensor:
    mu_p, sigma_p, mu_q, sigma_q = (t.double() for t in (mu_p, sigma_p, mu_q, sigma_q))
    return torch.log(sigma_q / sigma_p) + (sigma_p**2 + (mu_p - mu_q) ** 2) / (2 * sigma_q**2) - 0.5


def gaussian_mutual_information(rho: Tensor) -> Tensor:
    return -0.5 * torch.log1p(-rho.double() ** 2)


def kde_log_likelihood(train: Tensor, x: Tensor, sigma: float) -> Tensor:
    train, x = train.double(), x.double()
    n, d = train.shape
    squared = ((x[:, None, :] - train[None, :, :]) ** 2).sum(dim=-1)
    log_kernel = -squared / (2 * sigma**2) - 0.5 * d * math.log(2 * math.pi * float(sigma) ** 2)
    return (torch.logsumexp(log_kernel, dim=1) - math.log(n)).mean()


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    y, y_hat, log_sigma = y.double(), y_hat.double(), log_sigma.double()
    terms = 0.5 * ((y - y_hat) * torch.exp(-log_sigma)) ** 2 + log_sigma + 0.5 * math.log(2 * math.pi)
    return terms.sum(dim=-1)


def bits_per_dim(nll: Tensor, d: int, width: float) -> Tensor:
    return (nll.double() - d * math.log(width)) / (d * math.log(2))
