"""Wrong: kl_divergence computes sum q log(q / p), i.e. KL(q || p), so discussion_example is swapped too."""
# expect-fail: 1.5 1.6 2.11 2.12 2.13 2.15 2.16


def kl_divergence(p: Tensor, q: Tensor, base: float = math.e) -> Tensor:
    return torch.xlogy(q, q).sum(dim=-1) / math.log(base) - torch.xlogy(q, p).sum(dim=-1) / math.log(base)
