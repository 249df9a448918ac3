"""VAE training speed with the reference solution: the embedded digits on the CPU, and,
when CUDA is available, a larger MNIST-shaped configuration on the GPU.

    python benchmarks/vae_training.py [--epochs 40] [--gpu-epochs 5]

Reports seconds, samples per second and the held-out negative ELBO (judge's loss, 10 draws
of z per image). MNIST is read from $AUTOGRADER_MNIST when its files are there; otherwise
MNIST-shaped data (60000 x 784, binary) is generated, so the script runs unchanged anywhere.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, table  # noqa: E402

sys.path.insert(0, str(ROOT / "solutions"))
import vae as reference  # noqa: E402


def held_out_neg_elbo(model, held, device, draws=10):
    with torch.no_grad():
        mu, log_var = model.encode(held.to(device))
        total = 0.0
        for _ in range(draws):
            z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
            total += float(reference.negative_elbo(held.to(device), model.decode(z), mu, log_var)[0])
    return total / draws


def run(name, train, held, *, epochs, device, hidden, z_dim, batch_size):
    torch.manual_seed(0)
    model = reference.VAE(train.shape[1], z_dim, hidden)
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    reference.train_vae(model, train, epochs=epochs, batch_size=batch_size, device=device)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    return [name, device, f"{tuple(train.shape)}", epochs, seconds, epochs * len(train) / seconds,
            held_out_neg_elbo(model, held, device)]


def mnist_shaped():
    from autograder.data import load_mnist_binary

    try:
        data = torch.from_numpy(load_mnist_binary())
        return data[:55000], data[55000:], "MNIST"
    except (FileNotFoundError, ValueError):
        g = torch.Generator().manual_seed(0)
        data = (torch.rand(60000, 784, generator=g) < 0.13).float()
        return data[:55000], data[55000:], "random MNIST-shaped"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--gpu-epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (the grader's child uses 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from autograder.data import load_digits_binary

    images, _ = load_digits_binary()
    x = torch.from_numpy(images)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    rows = [run("8x8 digits (grading config)", x[perm[:1500]], x[perm[1500:1648]], epochs=args.epochs,
                device="cpu", hidden=256, z_dim=8, batch_size=128)]
    if torch.cuda.is_available():
        train, held, label = mnist_shaped()
        rows.append(run(f"{label}, hidden 512, z 20", train, held, epochs=args.gpu_epochs, device="cuda",
                        hidden=512, z_dim=20, batch_size=128))
    gpu = f"; GPU: {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "; no GPU"
    print(f"Machine: {machine()}{gpu}; torch {torch.__version__}, {args.threads} CPU thread(s)\n")
    print(table(["configuration", "device", "data", "epochs", "seconds", "samples / s",
                 "held-out negative ELBO (nats)"], rows))


if __name__ == "__main__":
    main()
