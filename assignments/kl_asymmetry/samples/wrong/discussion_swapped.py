"""Wrong: discussion_example returns (KL(q || p), KL(p || q)), in the wrong order."""
# expect-fail: 1.6


def discussion_example() -> tuple[float, float]:
    p = torch.tensor([0.5, 0.5], dtype=torch.float64)  # P(+1), P(-1)
    q = torch.tensor([0.1, 0.9], dtype=torch.float64)
    return kl_divergence(q, p).item(), kl_divergence(p, q).item()
