"""Wrong: adds d * log_sigma after summing, right only for one scalar sigma."""
# expect-fail: 1.10 2.19 2.20


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    d = y.shape[-1]
    squared = (((y - y_hat) * torch.exp(-log_sigma)) ** 2).sum(dim=-1)
    return 0.5 * squared + d * log_sigma + 0.5 * d * math.log(2 * math.pi)
