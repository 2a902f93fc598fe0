#!/usr/bin/python3
"""Write the ONNX model that notebooks/07-your-own-model.ipynb imports: a torchvision network, as a user would bring one.

    OMP_NUM_THREADS=1 /usr/bin/python3 tools/onnx/make_notebook_fixture.py            # -> notebooks/data/
    OMP_NUM_THREADS=1 /usr/bin/python3 tools/onnx/make_notebook_fixture.py OUT_DIR

The network is torchvision's ShuffleNetV2 x0.5 (channel split, channel shuffle, depthwise
convolutions, BatchNorm) made to fit Fashion-MNIST:
  * num_classes=10;
  * the first convolution takes 1 input channel instead of 3 (grey images);
  * everything else is torchvision's code, unchanged: a 28x28 image is 7x7 after the stem's
    stride-2 convolution and max-pool, then 4x4, 2x2 and 1x1 through the three stages, which keeps
    the network cheap enough to fine-tune in a notebook on two cores.

Weights are random (torch.manual_seed(SEED), torchvision's own initialization): the notebook
trains them. Exported with torch.onnx.export at opset 13, input "image" 1x1x28x28 with a dynamic
batch axis, output "logits" (batch x 10), BatchNormalization kept as nodes
(training=TrainingMode.PRESERVE on the eval() model) so that Compresso can fine-tune them with
batch statistics; torch's default export would fold them into the convolutions.

Running it twice with the same torch writes the same bytes. It prints the file, its size, its
parameter count and the operators in it, and checks it with onnx.checker.
"""
import argparse
import collections
import hashlib
import os
import sys

sys.dont_write_bytecode = True  # keep tools/onnx free of __pycache__

import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.dirname(HERE)), "notebooks", "data")
NAME = "shufflenet_v2_x0_5-fmnist.onnx"
SEED = 7
OPSET = 13


def build():
    torch.manual_seed(SEED)
    model = torchvision.models.shufflenet_v2_x0_5(weights=None, num_classes=10)
    stem = model.conv1[0]
    model.conv1[0] = nn.Conv2d(1, stem.out_channels, kernel_size=3, stride=2, padding=1, bias=False)
    return model.eval()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", nargs="?", default=DEFAULT_OUT, help="folder to write %s into (default notebooks/data)" % NAME)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = build()
    os.makedirs(args.out_dir, exist_ok=True)
    path = os.path.join(args.out_dir, NAME)
    tmp = path + ".tmp"
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), tmp, opset_version=OPSET,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    os.replace(tmp, path)

    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = collections.Counter(n.op_type for n in m.graph.node)
    params = sum(p.numel() for p in model.parameters())
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    print("%s: %d bytes, sha256 %s..., torch %s, torchvision %s, opset %d" % (
        path, os.path.getsize(path), digest, torch.__version__, torchvision.__version__, OPSET))
    print("parameters: %d trainable (%s)" % (params, type(model).__name__))
    print("operators: " + ", ".join("%s x%d" % kv for kv in sorted(ops.items())))
    print("onnx.checker: ok")


if __name__ == "__main__":
    main()
