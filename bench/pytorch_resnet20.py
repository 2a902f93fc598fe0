#!/usr/bin/python3
"""resnet(20) on Fashion-MNIST in PyTorch: the reference side of `bench/run.sh resnet20`.

The same network as Compresso's Zoo.resnet(20): a bias-free 3x3 conv with 16 filters + BatchNorm +
ReLU, three stages of three basic blocks (16/32/64 channels, the first block of stages 2 and 3 with
stride 2), each block conv3x3-BN-ReLU-conv3x3-BN plus a shortcut (a bias-free 1x1 conv + BN where
the shape changes), add, ReLU; global average pooling and a 10-way Linear layer (272,186
trainable parameters). The loop mirrors Compresso's Fit: shuffle each epoch, batch 128, Adam lr
1e-3, softmax cross-entropy, the running loss and accuracy read back to the host every batch.

--batches N makes an "epoch" the first N*batch training images (N batches), so that several
epochs fit in a benchmark; 0 means the full 60,000. Prints one JSON object per line, as
pytorch_lenet300100.py does. Run with Debian's interpreter: /usr/bin/python3.
"""
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_lenet300100 import arguments, setup, train_epochs  # noqa: E402


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.down is None else self.down(x)))


def resnet(depth=20):
    n = (depth - 2) // 6
    layers = [nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()]
    cin = 16
    for s, width in enumerate((16, 32, 64)):
        for b in range(n):
            layers.append(Block(cin, width, 2 if s > 0 and b == 0 else 1))
            cin = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10)]
    return nn.Sequential(*layers)


def main():
    p = arguments()
    p.add_argument("--batches", type=int, default=0, help="batches per epoch (0: the full training set)")
    a = p.parse_args()
    x, y = setup(a)
    x = x.reshape(-1, 1, 28, 28)
    if a.batches:
        x, y = x[:a.batches * a.batch].contiguous(), y[:a.batches * a.batch].contiguous()
    n = len(x)
    model = resnet(20)
    params = sum(t.numel() for t in model.parameters())
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "params": params, "samples": n}),
          flush=True)
    train_epochs(model, x, y, a.epochs, a.batch, a.lr)


if __name__ == "__main__":
    sys.exit(main())
