"""Wrong: subtracts y_hat from y in place (y.sub_), changing the caller's tensor."""
# expect-fail: 1.9 1.10 2.19 2.20 2.21


def gaussian_decoder_nll(y: Tensor, y_hat: Tensor, log_sigma: Tensor) -> Tensor:
    r = y.sub_(y_hat)
    terms = 0.5 * (r * torch.exp(-log_sigma)) ** 2 + log_sigma + 0.5 * math.log(2 * math.pi)
    return terms.sum(dim=-1)
