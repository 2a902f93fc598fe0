#!/usr/bin/python3
"""Generates the TorchScript fixture for TorchScriptTest: a 20-16-4 MLP with ReLU.

Run from anywhere with Debian's python3 (torch 1.13 or later):

    /usr/bin/python3 dsl/src/test/resources/torchscript/make_fixture.py

Writes, next to this script:
  mlp-20-16-4.pt          the scripted module (torch.jit.script, then torch.jit.save)
  mlp-20-16-4.expected    its outputs for the probe input below, one row per line, so the Java test
                          can check that DJL's PyTorch engine computes the same function
The weights come from a fixed seed, so re-running gives the same numbers (the zip's timestamps differ).
"""
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        x = torch.flatten(x, 1)
        return self.fc2(torch.relu(self.fc1(x)))


def probe():
    """3 × 20 inputs: (i * 20 + j) / 30 - 1 for row i, column j."""
    return (torch.arange(60, dtype=torch.float32) / 30 - 1).reshape(3, 20)


def main():
    torch.manual_seed(7)
    model = Mlp().eval()
    scripted = torch.jit.script(model)
    pt = os.path.join(HERE, "mlp-20-16-4.pt")
    scripted.save(pt)
    with torch.no_grad():
        out = scripted(probe())
    with open(os.path.join(HERE, "mlp-20-16-4.expected"), "w") as f:
        for row in out.tolist():
            f.write(" ".join(repr(v) for v in row) + "\n")
    print("wrote", pt, os.path.getsize(pt), "bytes; torch", torch.__version__)


if __name__ == "__main__":
    main()
