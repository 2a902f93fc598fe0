#!/usr/bin/python3
"""Generate small deterministic ONNX fixtures for Compresso's Java importer tests.

    /usr/bin/python3 make_fixtures.py OUT_DIR        # e.g. dsl/src/test/resources/onnx

Every fixture is a tiny torch model with random (seeded) weights exported by
torch.onnx.export; each file stays far below 200 KB. OUT_DIR/fixtures.json lists,
per fixture: file, bytes, opset, inputs (name, shape; strings are dynamic
axes), outputs, the op_types with counts, the checker result, a description,
and a reference output computed by torch for a deterministic input:

    input element i (row-major flat index, over each input separately)
        x[i] = ((i * 37) % 101) / 50.0 - 1.0          (values in [-1, 1])

so a Java test can build the same input without any file, run the importer or
ONNX Runtime, and compare `expected_output` (flattened, row-major) with
tolerance `atol` (1e-4 absolute).

BatchNormalization: torch.onnx.export's default training=TrainingMode.EVAL runs
the eval peephole pass that fuses Conv+BatchNormalization into one Conv
(do_constant_folding=False does NOT prevent that). Exporting an eval() model
with training=torch.onnx.TrainingMode.PRESERVE skips the pass and keeps the
BatchNormalization nodes (in inference form: one output, running stats as
initializers). The *_bn_* fixtures use PRESERVE; tiny_resnet_fused_op13 uses
the default and therefore has no BatchNormalization.

Do not export under torch.no_grad(): then nn.MultiheadAttention in eval takes
its fused fast path (aten::_native_multi_head_attention), which torch 1.13
cannot export.
"""
import argparse
from functools import partial
import json
import os
import sys
import warnings

sys.dont_write_bytecode = True  # keep tools/onnx free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from onnx_inspect import analyze  # noqa: E402

PRESERVE = torch.onnx.TrainingMode.PRESERVE


def det_input(shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return torch.from_numpy((((i * 37) % 101) / 50.0 - 1.0).astype(np.float32).reshape(shape))


def randomize_bn(model):
    """Give every BatchNorm non-trivial running stats and affine params (eval semantics matter)."""
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c) * 0.1)
            m.running_var.copy_(torch.rand(c) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c) * 0.1)


# ---------------------------------------------------------------- (a) residual CNN
class TinyResNet(nn.Module):
    """Conv+BN+ReLU stem, MaxPool, one basic residual block, GAP, Flatten, Gemm."""

    def __init__(self, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.c2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.b2 = nn.BatchNorm2d(8)
        self.c3 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.b3 = nn.BatchNorm2d(8)
        self.down = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
        self.c4 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.b4 = nn.BatchNorm2d(16)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.pool(x)
        y = F.relu(self.b2(self.c2(x)))
        y = self.b3(self.c3(y))
        x = F.relu(x + y)                        # identity shortcut
        x = F.relu(self.b4(self.c4(x)) + self.down(x))  # projection shortcut (1x1 stride 2)
        x = self.gap(x)
        x = torch.flatten(x, 1)
        return self.fc(x)


# ---------------------------------------------------------------- (b) mobile block
class SE(nn.Module):
    def __init__(self, c, r, gate, use_mean):
        super().__init__()
        self.use_mean = use_mean
        self.fc1 = nn.Conv2d(c, r, 1)
        self.fc2 = nn.Conv2d(r, c, 1)
        self.gate = gate

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True) if self.use_mean else F.adaptive_avg_pool2d(x, 1)
        s = self.gate(self.fc2(F.relu(self.fc1(s))))
        return x * s


class MobileBlocks(nn.Module):
    """Depthwise / grouped convs, SE (ReduceMean + GAP variants), HardSwish, HardSigmoid, ReLU6, SiLU."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False),
                                  nn.BatchNorm2d(8), nn.Hardswish())
        # MobileNetV2-style inverted residual: expand 1x1, depthwise 3x3, ReLU6, project 1x1
        self.expand = nn.Conv2d(8, 16, 1, bias=False)
        self.dw = nn.Conv2d(16, 16, 3, padding=1, groups=16, bias=False)
        self.se1 = SE(16, 4, nn.Hardsigmoid(), use_mean=False)   # MobileNetV3 style (GAP)
        self.project = nn.Conv2d(16, 8, 1, bias=False)
        # grouped conv (groups=2, like ResNeXt / RegNet) + EfficientNet-style SE with SiLU/Sigmoid
        self.grouped = nn.Conv2d(8, 16, 3, stride=2, padding=1, groups=2, bias=True)
        self.dw5 = nn.Conv2d(16, 16, 5, padding=2, groups=16, dilation=1, bias=True)
        self.se2 = SE(16, 4, nn.Sigmoid(), use_mean=True)         # ReduceMean version
        self.dil = nn.Conv2d(16, 16, 3, padding=2, dilation=2, bias=False)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = self.stem(x)
        y = F.relu6(self.expand(x))
        y = F.relu6(self.dw(y))
        y = self.se1(y)
        x = x + self.project(y)
        x = F.hardswish(self.grouped(x))
        x = F.silu(self.dw5(x))
        x = self.se2(x)
        x = F.hardsigmoid(self.dil(x)) * x
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


# ---------------------------------------------------------------- (c) channel shuffle
def channel_shuffle_dynamic(x, groups):
    # exactly torchvision's shufflenetv2.channel_shuffle: sizes read at run time
    b, c, h, w = x.size()
    x = x.view(b, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(b, -1, h, w)


def channel_shuffle_static(x, groups, c, h, w):
    x = x.reshape(1, groups, c // groups, h, w).permute(0, 2, 1, 3, 4)
    return x.reshape(1, c, h, w)


class Shuffle(nn.Module):
    """ShuffleNetV2 units: chunk (Slice), split (Split), Concat, Reshape-Transpose-Reshape shuffle."""

    def __init__(self, classes=10, dynamic=False):
        super().__init__()
        self.dynamic = dynamic
        self.stem = nn.Conv2d(3, 16, 3, stride=2, padding=1)
        self.branch = nn.Sequential(
            nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.Conv2d(8, 8, 3, padding=1, groups=8, bias=False), nn.BatchNorm2d(8),
            nn.Conv2d(8, 8, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True))
        self.b2 = nn.Conv2d(6, 10, 1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x):
        x = F.relu(self.stem(x))                      # 1x16x16x16
        x1, x2 = x.chunk(2, dim=1)                    # torchvision shufflenet: chunk
        x = torch.cat((x1, self.branch(x2)), dim=1)
        x = channel_shuffle_dynamic(x, 2)
        a, b = torch.split(x, [6, 10], dim=1)         # uneven split
        x = torch.cat((self.b2(a), b), dim=1)[:, :, 1:15:2, ::2]   # strided Slice on H and W
        x = channel_shuffle_dynamic(x, 4) if self.dynamic else channel_shuffle_static(x, 4, 20, 7, 8)
        x = x[:, :16]                                 # Slice on channels
        x = x.mean([2, 3])                            # ReduceMean keepdims=0 (as torchvision shufflenet)
        return self.fc(x)


# ---------------------------------------------------------------- (d) tiny ViT
class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]              # Gather on axis 0
        attn = (q @ k.transpose(-2, -1)) * self.scale  # 4-D batched MatMul
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(b, n, c)
        return self.proj(x)


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.n1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.n2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        x = x + self.attn(self.n1(x))
        return x + self.fc2(F.gelu(self.fc1(self.n2(x))))


class TinyViT(nn.Module):
    """Conv patch embedding, flatten/transpose, class token (Expand+Concat), pos-embedding Add,
    pre-norm encoder block (LayerNorm, MatMul attention, Softmax, GELU/Erf), class-token
    Gather, LayerNorm, Gemm head."""

    def __init__(self, img=32, patch=8, dim=32, heads=2, mlp=64, classes=10):
        super().__init__()
        n = (img // patch) ** 2
        self.embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.block = Block(dim, heads, mlp)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.embed(x).flatten(2).transpose(1, 2)       # B x N x D
        cls = self.cls.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos
        x = self.norm(self.block(x))
        return self.head(x[:, 0])


class TinyTorchvisionViT(nn.Module):
    """Encoder layer built from nn.MultiheadAttention exactly like torchvision's vit_* (the
    exported pattern differs from the hand-written attention: Reshape/Transpose chains fed
    by Shape/Gather, and scaled q before a 3-D batched MatMul)."""

    def __init__(self, img=32, patch=8, dim=32, heads=2, mlp=64, classes=10):
        super().__init__()
        n = (img // patch) ** 2
        self.embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.ln1 = nn.LayerNorm(dim, eps=1e-6)
        self.mha = nn.MultiheadAttention(dim, heads, dropout=0.0, batch_first=True)
        self.ln2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), nn.GELU(), nn.Dropout(0.0), nn.Linear(mlp, dim),
                                 nn.Dropout(0.0))
        self.ln = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        n = x.shape[0]
        x = self.embed(x)
        x = x.reshape(n, x.shape[1], -1).permute(0, 2, 1)
        x = torch.cat([self.cls.expand(n, -1, -1), x], dim=1) + self.pos
        y = self.ln1(x)
        y, _ = self.mha(y, y, y, need_weights=False)
        x = x + y
        x = x + self.mlp(self.ln2(x))
        x = self.ln(x)
        return self.head(x[:, 0])


# ---------------------------------------------------------------- (f) I/O edge cases
class TwoInputs(nn.Module):
    """image (1x3x16x16) and feature vector (1x4): conv branch + linear branch, Concat, Gemm."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.lin = nn.Linear(4, 4)
        self.fc = nn.Linear(8, 3)

    def forward(self, image, features):
        a = F.adaptive_avg_pool2d(F.relu(self.conv(image)), 1).flatten(1)
        return self.fc(torch.cat((a, torch.tanh(self.lin(features))), dim=1))


class DynamicCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# ---------------------------------------------------------------- misc ops seen in the census
class MiscOps(nn.Module):
    """Leftover operators of the torchvision census: AveragePool (+ count_include_pad / ceil),
    Pad (constant via F.pad), Dropout (eval, removed), tanh-GELU, Einsum-free relative bias
    via Gather, Where/Equal masks, Cast, Upsample (Resize), GlobalMaxPool-ish via amax."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 8, 1)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        x = self.conv(x)                                            # 1x8x16x16
        x = F.avg_pool2d(x, 3, stride=1, padding=1)                 # inception style (count_include_pad)
        x = F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        x = F.pad(x, (1, 1, 1, 1), mode="constant", value=0.0)      # 1x8x10x10
        x = F.gelu(x, approximate="tanh")                           # maxvit: Tanh decomposition
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")      # Resize (not in torchvision cls)
        x = F.max_pool2d(x, 2)
        m = (x > 0).to(torch.float32)                               # Greater + Cast
        x = torch.where(x > 0.5, x, m * 0.5)                        # Where
        x = self.conv2(x)
        x = torch.amax(x, dim=(2, 3))                               # ReduceMax keepdims=0
        return self.fc(x)


# ---------------------------------------------------------------- real torchvision architectures, tiny
def tv_shufflenet():
    """torchvision ShuffleNetV2 class itself (chunk + channel_shuffle as in shufflenet_v2_*)."""
    from torchvision.models.shufflenetv2 import ShuffleNetV2
    return ShuffleNetV2([2, 1, 1], [8, 8, 16, 16, 32], num_classes=10)


def tv_swin():
    """torchvision SwinTransformer class (v1), one stage of two blocks so the second block uses the
    shifted window + attention mask (Range/ScatterND/Mod/Not/Where...)."""
    from torchvision.models.swin_transformer import SwinTransformer
    return SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2], num_heads=[1], window_size=[4, 4],
                           stochastic_depth_prob=0.0, num_classes=10)


def tv_swin_v2():
    """torchvision SwinTransformer v2 (block SwinTransformerBlockV2, PatchMergingV2), one stage of two
    blocks: the relative-position bias is a Gather by a stored [16*16] index from the table that the
    small MLP cpb_mlp computes from stored coordinates (its weights are trainable), then 16*sigmoid;
    scaled cosine attention (logit_scale, clamp, exp). Needs the aten::zero symbolic (see main)."""
    from torchvision.models.swin_transformer import PatchMergingV2, SwinTransformer, SwinTransformerBlockV2
    return SwinTransformer(patch_size=[4, 4], embed_dim=8, depths=[2], num_heads=[2], window_size=[4, 4],
                           stochastic_depth_prob=0.0, num_classes=10, block=SwinTransformerBlockV2,
                           downsample_layer=PatchMergingV2)


def tv_maxvit():
    """torchvision MaxVit class: MBConv (pre-norm BN that stays unfused), SE, block/grid partition
    attention, Einsum, classifier Linear-Tanh-Linear."""
    from torchvision.models.maxvit import MaxVit
    return MaxVit(input_size=(32, 32), stem_channels=8, partition_size=2, block_channels=[8], block_layers=[1],
                  head_dim=4, stochastic_depth_prob=0.0, num_classes=10)


def shorten_names(path):
    """Rename internal values and nodes to short names (v12 / n12). Graph inputs, outputs and
    initializers keep their names. Only used where torch's long scoped names would blow the
    size budget; the graph itself is unchanged."""
    m = onnx.load(path)
    g = m.graph
    keep = {i.name for i in g.input} | {o.name for o in g.output} | {i.name for i in g.initializer}
    ren = {}
    for k, n in enumerate(g.node):
        n.name = "n%d" % k
        for j, o in enumerate(n.output):
            if o and o not in keep:
                ren[o] = "v%d_%d" % (k, j) if len(n.output) > 1 else "v%d" % k
                n.output[j] = ren[o]
    for n in g.node:
        for j, i in enumerate(n.input):
            if i in ren:
                n.input[j] = ren[i]
    for vi in list(g.value_info):
        if vi.name in ren:
            vi.name = ren[vi.name]
    onnx.save(m, path)


def export(model, args, path, opset, preserve=False, input_names=("input",), output_names=("output",),
           dynamic_axes=None, short_names=False):
    kw = {}
    if preserve:
        kw["training"] = PRESERVE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, args, path, opset_version=opset, input_names=list(input_names),
                          output_names=list(output_names), dynamic_axes=dynamic_axes, **kw)
    if short_names:
        shorten_names(path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir")
    args = p.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(1)
    # torch 1.13 has no ONNX symbolic for aten::zero (Tensor.zero_, which swin_v2's attention uses);
    # the same one as export_torchvision.py --patch-aten-zero. No other fixture calls zero_.
    for v in range(9, 18):
        torch.onnx.register_custom_op_symbolic(
            "aten::zero", lambda g, self: g.op("Mul", self, g.op("Constant", value_t=torch.tensor(0.0))), v)

    specs = [
        # name, ctor, input shapes, opset, preserve_bn, extra kwargs, description
        ("tiny_resnet_bn_op13", TinyResNet, [(1, 3, 32, 32)], 13, True, {},
         "(a) Conv+BatchNormalization (unfused, PRESERVE) + Relu + residual Add + MaxPool + "
         "GlobalAveragePool + Flatten + Gemm"),
        ("tiny_resnet_fused_op13", TinyResNet, [(1, 3, 32, 32)], 13, False, {},
         "(a') same weights, default export: BatchNormalization folded into Conv (Conv gets a bias)"),
        ("tiny_resnet_bn_op11", TinyResNet, [(1, 3, 32, 32)], 11, True, {}, "(e) fixture (a) at opset 11"),
        ("tiny_resnet_bn_op17", TinyResNet, [(1, 3, 32, 32)], 17, True, {}, "(e) fixture (a) at opset 17"),
        ("mobile_block_op13", MobileBlocks, [(1, 3, 32, 32)], 13, True, {},
         "(b) depthwise (group=C) and grouped (group=2) Conv, dilation 2, SE with GlobalAveragePool "
         "and with ReduceMean, Sigmoid, HardSigmoid, HardSwish (=HardSigmoid+Mul at opset 13), "
         "ReLU6 (=Clip with min/max inputs), SiLU (=Sigmoid+Mul)"),
        ("mobile_block_op14", MobileBlocks, [(1, 3, 32, 32)], 14, True, {},
         "(b) at opset 14: HardSwish is a single op"),
        ("shuffle_op13", Shuffle, [(1, 3, 32, 32)], 13, True, {},
         "(c) chunk (Slice whose starts/ends come from Shape->Gather->Add->Div->Mul), split (Split with "
         "a constant split input), Concat, channel shuffle Reshape+Transpose+Reshape (x.size()-based "
         "shape gets constant-folded at static batch 1), strided Slice, ReduceMean keepdims=0"),
        ("shuffle_dynbatch_op13", partial(Shuffle, dynamic=True), [(1, 3, 32, 32)], 13, True,
         {"dynamic_axes": {"input": {0: "batch"}, "output": {0: "batch"}}, "extra_shape": (2, 3, 32, 32)},
         "(c) the same blocks exported with a dynamic batch axis: channel shuffle becomes "
         "Shape->Gather->Unsqueeze->Concat->Reshape computed at run time"),
        ("tiny_vit_op13", TinyViT, [(1, 3, 32, 32)], 13, False, {},
         "(d) patch-embed Conv, Flatten/Transpose (as Reshape), class token Expand+Concat, LayerNorm "
         "decomposed (ReduceMean/Sub/Pow/Sqrt/Div), 3-D and 4-D MatMul attention, Softmax axis=-1, "
         "GELU via Erf, residual Add, class-token Gather, Gemm head"),
        ("tiny_vit_op17", TinyViT, [(1, 3, 32, 32)], 17, False, {},
         "(d) at opset 17: LayerNormalization op"),
        ("tiny_tv_vit_op13", TinyTorchvisionViT, [(1, 3, 32, 32)], 13, False, {},
         "(d) encoder layer with nn.MultiheadAttention, exported like torchvision vit_*"),
        ("two_inputs_op13", TwoInputs, [(1, 3, 16, 16), (1, 4)], 13, False,
         {"input_names": ("image", "features")},
         "(f) two graph inputs: image 1x3x16x16 and features 1x4; Tanh, Concat, Gemm"),
        ("dynamic_axes_op13", DynamicCNN, [(1, 3, 16, 16)], 13, True,
         {"dynamic_axes": {"input": {0: "batch", 2: "height"}, "output": {0: "batch"}},
          "extra_shape": (2, 3, 12, 16)},
         "(f) dynamic batch axis (dim_param 'batch') and dynamic spatial axis ('height'); "
         "width static 16"),
        ("misc_ops_op13", MiscOps, [(1, 3, 16, 16)], 13, False, {},
         "leftovers: AveragePool (count_include_pad 0/1, ceil_mode), Pad, tanh-GELU, Resize, "
         "Greater/Cast/Where, ReduceMax"),
        ("tv_shufflenet_op13", tv_shufflenet, [(1, 3, 32, 32)], 13, False, {},
         "torchvision.models.shufflenetv2.ShuffleNetV2 (stages [2,1,1], channels [8,8,16,16,32]), "
         "default export (BN fused): chunk via Shape->Gather->Div->Mul->Slice, channel_shuffle"),
        ("tv_swin_op13", tv_swin, [(1, 3, 32, 32)], 13, False, {"short_names": True},
         "torchvision SwinTransformer v1 (embed 8, one stage of 2 blocks, window 4, shift 2): window "
         "partition Reshape/Transpose, shifted-window attention mask (Range, ScatterND, Mod, Not, Where, "
         "Equal, Expand, Cast), relative position bias Gather, Pad, Dropout(eval), LayerNorm, GELU/Erf; "
         "internal value and node names shortened (vN/nN) to fit 200 KB"),
        ("tv_swin_v2_op13", tv_swin_v2, [(1, 3, 32, 32)], 13, False, {"short_names": True},
         "torchvision SwinTransformer v2 (embed 8, one stage of 2 blocks, 2 heads, window 4, shift 2): "
         "relative position bias = Gather by a stored index tensor from the table the cpb_mlp "
         "(MatMul/Add/Relu/MatMul on stored coordinates) computes, 16*Sigmoid; cosine attention "
         "(F.normalize as ReduceL2/Clip/Expand/Div, logit_scale Clip/Exp); internal names shortened"),
        ("tv_maxvit_op13", tv_maxvit, [(1, 3, 32, 32)], 13, False, {},
         "torchvision MaxVit (stem 8, one block, partition 2, head_dim 4): BN kept even in the default "
         "export (its Conv output has two consumers, so the eval peephole cannot fuse it), "
         "MBConv SE, AveragePool, Einsum (attention), classifier Tanh, block/grid attention"),
    ]

    entries = []
    total = 0
    for name, ctor, shapes, opset, preserve, extra, desc in specs:
        extra = dict(extra)
        extra_shape = extra.pop("extra_shape", None)
        torch.manual_seed(1234)
        model = ctor()
        with torch.no_grad():
            randomize_bn(model)
        model.eval()
        inputs = tuple(det_input(s) for s in shapes)
        path = os.path.join(args.out_dir, name + ".onnx")
        export(model, inputs if len(inputs) > 1 else inputs[0], path, opset, preserve, **extra)
        with torch.no_grad():
            out = model(*inputs)
        m = onnx.load(path)
        try:
            onnx.checker.check_model(m, full_check=True)
            checker = "ok"
        except Exception as e:  # noqa: BLE001
            checker = str(e)
        a = analyze(m)
        size = os.path.getsize(path)
        total += size
        entries.append({
            "name": name,
            "file": name + ".onnx",
            "bytes": size,
            "opset": opset,
            "description": desc,
            "batchnorm_preserved": preserve,
            "inputs": a["io"]["inputs"],
            "outputs": a["io"]["outputs"],
            "test_input_shapes": [list(s) for s in shapes],
            "input_rule": "x[i] = ((i * 37) % 101) / 50.0 - 1.0 over the row-major flat index, per input",
            "expected_output_shape": list(out.shape),
            "expected_output": [float("%.9g" % v) for v in out.reshape(-1)],
            "atol": 1e-4,
            "ops": a["ops"],
            "shape_subgraph": a["shape_subgraph"],
            "checker": checker,
            "params": sum(p.numel() for p in model.parameters()),
        })
        if extra_shape:
            with torch.no_grad():
                o2 = model(det_input(extra_shape))
            entries[-1]["extra_case"] = {
                "input_shape": list(extra_shape), "expected_output_shape": list(o2.shape),
                "expected_output": [float("%.9g" % v) for v in o2.reshape(-1)]}
        print("%-24s %7d B  opset %2d  %s  %s" % (name, size, opset, checker, ",".join(a["ops"])))
        assert size < 200_000, name

    meta = {"generator": "tools/onnx/make_fixtures.py",
            "torch": torch.__version__, "onnx": onnx.__version__,
            "total_bytes": total, "fixtures": entries}
    with open(os.path.join(args.out_dir, "fixtures.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print("total %d bytes in %d fixtures" % (total, len(entries)))
    assert total < 1_000_000


if __name__ == "__main__":
    main()
