"""Wrong: every function returns its first argument."""
# expect-fail: 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 1.9 1.10 1.11 1.12 2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 2.9 2.10 2.11 2.12 2.13 2.14 2.15 2.16 2.17 2.18 2.19 2.20 2.21 2.22 2.23


def gaussian_entropy(sigma):
    return sigma


def quantized_entropy(sigma, width):
    return sigma


def gaussian_kl(mu_p, sigma_p, mu_q, sigma_q):
    return mu_p


def gaussian_mutual_information(rho):
    return rho


def kde_log_likelihood(train, x, sigma):
    return train


def train_and_heldout_nll(train, heldout, sigmas):
    return train


def gaussian_decoder_nll(y, y_hat, log_sigma):
    return y


def dequantized_nll_lower_bound(d, width):
    return d


def bits_per_dim(nll, d, width):
    return nll
