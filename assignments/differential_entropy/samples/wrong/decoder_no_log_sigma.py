"""Wrong: the weighted L2 distortion and the constant, without the d ln sigma term."""
# expect-fail: 1.9 1.10 2.19 2.20 2.21


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    terms = 0.5 * ((y - y_hat) * torch.exp(-log_sigma)) ** 2 + 0.5 * math.log(2 * math.pi)
    return terms.sum(dim=-1)
