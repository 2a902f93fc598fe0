#!/usr/bin/python3
"""LeNet-300-100 on Fashion-MNIST in PyTorch: the reference side of the epoch-time benchmark.

The loop mirrors Compresso's Fit: shuffle each epoch, batch 128, Adam lr 1e-3, softmax
cross-entropy, and per batch the running loss and accuracy read back to the host (as a progress
bar needs). Data is read once from the IDX .gz files into one float tensor; the timed part is
only the training loop of each epoch (no test pass unless --test).

Prints one JSON object per line: {"epoch": k, "seconds": wall, "cpu_seconds": process CPU, "train_loss": ..., "train_top1": ...},
and with --test a final {"test_top1": ...}. Run with Debian's interpreter: /usr/bin/python3.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder, split):
    images = read_idx(os.path.join(folder, split + "-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, split + "-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 255.0)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def arguments():
    """The options both PyTorch sides take: data folder, epochs, batch, lr, threads, seed."""
    p = argparse.ArgumentParser()
    p.add_argument("--data", default=os.environ.get("COMPRESSO_DATA", "/usr/share/datasets/fashion-mnist"))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=42)
    return p


def setup(a):
    """Threads (intra-op as asked, inter-op 1) and seed; returns the training set (x flat, y)."""
    torch.set_num_threads(a.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(a.seed)
    return load(a.data, "train")


def train_epochs(model, x, y, epochs, batch, lr):
    """Fit's loop: Adam, softmax cross-entropy, reshuffled every epoch, loss and accuracy read back
    every batch; prints one JSON line per epoch with its wall and process CPU seconds."""
    n = len(x)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(1, epochs + 1):
        model.train()
        t0 = time.perf_counter()
        c0 = time.process_time()
        perm = torch.randperm(n)
        loss_sum = 0.0
        correct = 0
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            xb, yb = x[idx], y[idx]
            out = model(xb)
            loss = loss_fn(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
        secs = time.perf_counter() - t0
        cpu = time.process_time() - c0
        print(json.dumps({"epoch": epoch, "seconds": secs, "cpu_seconds": cpu, "train_loss": loss_sum / n,
                          "train_top1": correct / n}), flush=True)


def main():
    p = arguments()
    p.add_argument("--test", action="store_true", help="evaluate test top-1 after the last epoch")
    a = p.parse_args()
    x, y = setup(a)
    model = nn.Sequential(nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 100), nn.ReLU(), nn.Linear(100, 10))
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    train_epochs(model, x, y, a.epochs, a.batch, a.lr)
    if a.test:
        xt, yt = load(a.data, "t10k")
        model.eval()
        with torch.no_grad():
            top1 = (model(xt).argmax(1) == yt).float().mean().item()
        print(json.dumps({"test_top1": top1}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
