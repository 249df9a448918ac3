"""Wrong: reads log_sigma as ln sigma^2 (a log-variance, as in the VAE encoder)."""
# expect-fail: 1.9 1.10 2.19 2.20 2.21


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    terms = 0.5 * (y - y_hat) ** 2 * torch.exp(-log_sigma) + 0.5 * log_sigma + 0.5 * math.log(2 * math.pi)
    return terms.sum(dim=-1)
