"""Wrong: every function returns zeros of the right shape."""
# expect-fail: 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 1.9 1.10 1.11 1.12 2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 2.9 2.10 2.11 2.12 2.13 2.14 2.15 2.16 2.17 2.18 2.19 2.20 2.21 2.22 2.23


def gaussian_entropy(sigma):
    return torch.zeros_like(sigma)


def quantized_entropy(sigma, width):
    return 0.0


def gaussian_kl(mu_p, sigma_p, mu_q, sigma_q):
    return torch.zeros_like(mu_p + sigma_p + mu_q + sigma_q)


def gaussian_mutual_information(rho):
    return torch.zeros_like(rho)


def kde_log_likelihood(train, x, sigma):
    return torch.zeros((), dtype=x.dtype)


def train_and_heldout_nll(train, heldout, sigmas):
    return torch.zeros(len(sigmas), dtype=train.dtype), torch.zeros(len(sigmas), dtype=train.dtype)


def gaussian_decoder_nll(y, y_hat, log_sigma):
    return torch.zeros(y.shape[:-1], dtype=y.dtype)


def dequantized_nll_lower_bound(d, width):
    return 0.0


def bits_per_dim(nll, d, width):
    return torch.zeros_like(nll)
