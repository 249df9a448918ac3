"""Sample submission with a mistake: loss_summed_over_batch.

As in pytorch/examples' vae/main.py, the loss sums over the batch (reduction='sum')
instead of averaging; train_vae divides by N, so training and its curve look right.
"""
# expect-fail: 1.4 2.5


def negative_elbo(x: Tensor, logits: Tensor, mu: Tensor, log_var: Tensor,
                  beta: float = 1.0) -> tuple[Tensor, Tensor, Tensor]:
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = gaussian_kl(mu, log_var).sum()
    return reconstruction + beta * kl, reconstruction, kl


def train_vae(model: VAE, data: Tensor, *, epochs: int, batch_size: int = 128,
              lr: float = 1e-3, device: str = "cpu") -> list[float]:
    model.to(device)
    model.train()
    data = data.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(epochs):
        order = torch.randperm(len(data), device=device)
        total, count = 0.0, 0
        for start in range(0, len(data), batch_size):
            batch = data[order[start:start + batch_size]]
            loss, _, _ = negative_elbo(batch, *model(batch))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            count += len(batch)
        history.append(total / count)
    return history
