"""Wrong: the lecture slide's normaliser 1/(sqrt(pi) sigma): h = ln sigma + ln sqrt(pi) + 1/2."""
# expect-fail: 1.1 2.1 2.2


def gaussian_entropy(sigma: Tensor) -> Tensor:
    return torch.log(sigma) + math.log(math.sqrt(math.pi)) + 0.5
