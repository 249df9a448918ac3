"""Sample submission with a mistake: ignores_epochs."""
# expect-fail: 1.6 2.8 2.9 2.10


def train_vae(model: VAE, data: Tensor, *, epochs: int, batch_size: int = 128,
              lr: float = 1e-3, device: str = "cpu") -> list[float]:
    model.to(device)
    model.train()
    data = data.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = []
    for _ in range(3):
        order = torch.randperm(len(data), device=device)
        total, count = 0.0, 0
        for start in range(0, len(data), batch_size):
            batch = data[order[start:start + batch_size]]
            loss, _, _ = negative_elbo(batch, *model(batch))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
            count += len(batch)
        history.append(total / count)
    return history
