#!/usr/bin/python3
"""A tiny NumPy interpreter for the ONNX operators used by the fixtures (no onnxruntime needed).

Debian bookworm has no python3-onnxruntime and onnx 1.12 has no onnx.reference,
so this file is the independent check that the `expected_output` values written
by make_fixtures.py (computed by torch) agree with ONNX semantics of the
exported graphs. It doubles as a compact, readable statement of each operator's
semantics for the Java importer (float32, NCHW, opsets 11-17 as torch exports
them; only the attribute combinations torch produces are supported).

    /usr/bin/python3 np_reference.py FILE.onnx           # run on the fixture input rule, print output
    /usr/bin/python3 np_reference.py --fixtures DIR      # check every entry of DIR/fixtures.json

Input rule (as in make_fixtures.py): x[i] = ((i * 37) % 101) / 50.0 - 1.0.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

ONNX_TO_NP = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64}


def det_input(shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.int64)
    return (((i * 37) % 101) / 50.0 - 1.0).astype(np.float32).reshape(shape)


def attrs(node):
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _pads_for(x, kernel, strides, dilations, pads, ceil_mode=0, pad_value=0.0):
    nd = len(kernel)
    pads = list(pads) if pads else [0] * (2 * nd)
    begin, end = pads[:nd], pads[nd:]
    out = []
    for d in range(nd):
        size = x.shape[2 + d] + begin[d] + end[d]
        eff = (kernel[d] - 1) * dilations[d] + 1
        if ceil_mode:
            o = int(math.ceil((size - eff) / strides[d])) + 1
            # the last window must start inside the (left-padded) input
            if (o - 1) * strides[d] >= x.shape[2 + d] + begin[d]:
                o -= 1
        else:
            o = (size - eff) // strides[d] + 1
        need = (o - 1) * strides[d] + eff - size
        end[d] += max(0, need)
        out.append(o)
    width = [(0, 0), (0, 0)] + [(begin[d], end[d]) for d in range(nd)]
    return np.pad(x, width, constant_values=pad_value), out, width


def _windows(xp, kernel, strides, dilations, out):
    """xp: N,C,H,W padded -> N,C,oh,ow,kh,kw view."""
    n, c = xp.shape[:2]
    kh, kw = kernel
    res = np.empty((n, c, out[0], out[1], kh, kw), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            hs, ws = i * dilations[0], j * dilations[1]
            res[:, :, :, :, i, j] = xp[:, :, hs:hs + strides[0] * out[0]:strides[0],
                                       ws:ws + strides[1] * out[1]:strides[1]]
    return res


def conv(x, w, b, a):
    g = a.get("group", 1)
    k = a.get("kernel_shape", list(w.shape[2:]))
    s = a.get("strides", [1, 1])
    d = a.get("dilations", [1, 1])
    xp, out, _ = _pads_for(x, k, s, d, a.get("pads"))
    win = _windows(xp, k, s, d, out)  # N,C,oh,ow,kh,kw
    n, c = x.shape[:2]
    m = w.shape[0]
    cg, mg = c // g, m // g
    y = np.empty((n, m, out[0], out[1]), dtype=np.float32)
    for gi in range(g):
        wi = win[:, gi * cg:(gi + 1) * cg]                       # N,cg,oh,ow,kh,kw
        wg = w[gi * mg:(gi + 1) * mg]                           # mg,cg,kh,kw
        y[:, gi * mg:(gi + 1) * mg] = np.einsum("nchwij,mcij->nmhw", wi, wg, optimize=True)
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def pool(x, a, kind):
    k = a["kernel_shape"]
    s = a.get("strides", [1] * len(k))
    d = a.get("dilations", [1] * len(k))
    ceil = a.get("ceil_mode", 0)
    if kind == "max":
        xp, out, _ = _pads_for(x, k, s, d, a.get("pads"), ceil, -np.inf)
        return _windows(xp, k, s, d, out).max(axis=(4, 5))
    xp, out, width = _pads_for(x, k, s, d, a.get("pads"), ceil, 0.0)
    sums = _windows(xp, k, s, d, out).sum(axis=(4, 5))
    if a.get("count_include_pad", 0):
        # explicit pads count, the extra ceil_mode tail does not
        inc = np.ones(x.shape[2:], np.float32)
        pads = a.get("pads") or [0] * 4
        inc = np.pad(inc, [(pads[0], pads[2]), (pads[1], pads[3])], constant_values=1.0)
        extra = [(0, width[2][1] - pads[2]), (0, width[3][1] - pads[3])]
        ones = np.pad(inc, extra, constant_values=0.0)[None, None]
    else:
        ones = np.pad(np.ones((1, 1) + x.shape[2:], np.float32), width[:0] + [(0, 0), (0, 0)] + width[2:])
    cnt = _windows(ones, k, s, d, out).sum(axis=(4, 5))
    return sums / cnt


def _axes(a, inputs, idx, default=None):
    if "axes" in a:
        return list(a["axes"])
    if len(inputs) > idx and inputs[idx] is not None:
        return [int(v) for v in np.asarray(inputs[idx]).reshape(-1)]
    return default


def run_node(n, v):
    a = attrs(n)
    ins = [v[i] if i else None for i in n.input]
    x = ins[0] if ins else None
    op = n.op_type
    if op == "Constant":
        if "value" in a:
            return [numpy_helper.to_array(a["value"])]
        for key in ("value_float", "value_floats", "value_int", "value_ints"):
            if key in a:
                return [np.array(a[key], dtype=np.float32 if "float" in key else np.int64)]
    if op == "Identity" or op == "Dropout":
        return [x] + ([np.ones(x.shape, bool)] if len(n.output) > 1 else [])
    if op == "Conv":
        return [conv(x, ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op == "BatchNormalization":
        sc, bi, mean, var = ins[1:5]
        sh = (1, -1) + (1,) * (x.ndim - 2)
        eps = a.get("epsilon", 1e-5)
        return [((x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + eps) * sc.reshape(sh)
                 + bi.reshape(sh)).astype(np.float32)]
    if op == "LayerNormalization":
        ax = a.get("axis", -1)
        axes = tuple(range(ax % x.ndim, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * ins[1]
        return [y + ins[2] if len(ins) > 2 and ins[2] is not None else y]
    if op == "MaxPool":
        return [pool(x, a, "max")]
    if op == "AveragePool":
        return [pool(x, a, "avg")]
    if op == "GlobalAveragePool":
        return [x.mean(axis=tuple(range(2, x.ndim)), keepdims=True)]
    if op == "Gemm":
        A = ins[0].T if a.get("transA", 0) else ins[0]
        B = ins[1].T if a.get("transB", 0) else ins[1]
        y = a.get("alpha", 1.0) * (A @ B)
        if len(ins) > 2 and ins[2] is not None:
            y = y + a.get("beta", 1.0) * ins[2]
        return [y.astype(np.float32)]
    if op == "MatMul":
        return [np.matmul(ins[0], ins[1])]
    if op == "Flatten":
        ax = a.get("axis", 1)
        return [x.reshape(int(np.prod(x.shape[:ax])), -1)]
    if op == "Relu":
        return [np.maximum(x, 0)]
    if op == "Clip":
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else a.get("min", -np.inf)
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else a.get("max", np.inf)
        return [np.clip(x, lo, hi)]
    if op == "Sigmoid":
        return [(1 / (1 + np.exp(-x))).astype(np.float32)]
    if op == "HardSigmoid":
        return [np.clip(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0, 1).astype(np.float32)]
    if op == "HardSwish":
        return [(x * np.clip(x / 6 + 0.5, 0, 1)).astype(np.float32)]
    if op == "Tanh":
        return [np.tanh(x)]
    if op == "Erf":
        return [np.vectorize(math.erf, otypes=[np.float64])(x).astype(x.dtype)]
    if op == "Softmax":
        ax = a.get("axis", -1)  # opset >= 13 semantics: along one axis
        e = np.exp(x - x.max(axis=ax, keepdims=True))
        return [e / e.sum(axis=ax, keepdims=True)]
    binops = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Pow": np.power,
              "Equal": np.equal, "Greater": np.greater, "Less": np.less, "Mod": np.mod}
    if op in binops:
        r = binops[op](ins[0], ins[1])
        return [r.astype(ins[0].dtype) if op in ("Add", "Sub", "Mul", "Pow", "Mod") else r]
    if op == "Div":
        r = ins[0] / ins[1]
        if ins[0].dtype.kind == "i":
            r = np.trunc(r).astype(ins[0].dtype)
        return [r.astype(ins[0].dtype)]
    if op == "Sqrt":
        return [np.sqrt(x)]
    if op == "Exp":
        return [np.exp(x)]
    if op == "Not":
        return [np.logical_not(x)]
    if op == "Where":
        return [np.where(ins[0], ins[1], ins[2])]
    if op == "Cast":
        return [x.astype(ONNX_TO_NP[a["to"]])]
    if op in ("ReduceMean", "ReduceMax", "ReduceSum"):
        axes = _axes(a, ins, 1)
        f = {"ReduceMean": np.mean, "ReduceMax": np.max, "ReduceSum": np.sum}[op]
        return [f(x, axis=tuple(axes) if axes is not None else None,
                  keepdims=bool(a.get("keepdims", 1))).astype(x.dtype)]
    if op == "ReduceL2":
        axes = _axes(a, ins, 1)
        return [np.sqrt(np.sum(x * x, axis=tuple(axes) if axes is not None else None,
                               keepdims=bool(a.get("keepdims", 1)))).astype(x.dtype)]
    if op == "Shape":
        return [np.array(x.shape, dtype=np.int64)]
    if op == "ConstantOfShape":
        val = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full([int(s) for s in x], val.reshape(-1)[0], dtype=val.dtype)]
    if op == "Reshape":
        shape = [int(s) for s in ins[1]]
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]  # allowzero=0
        return [x.reshape(shape)]
    if op == "Transpose":
        return [np.transpose(x, a.get("perm"))]
    if op == "Concat":
        return [np.concatenate([i for i in ins], axis=a["axis"])]
    if op == "Unsqueeze":
        r = x
        for ax in sorted(_axes(a, ins, 1)):
            r = np.expand_dims(r, ax if ax >= 0 else ax + r.ndim + 1)
        return [r]
    if op == "Squeeze":
        axes = _axes(a, ins, 1)
        return [np.squeeze(x, axis=tuple(axes) if axes else None)]
    if op == "Gather":
        return [np.take(x, ins[1], axis=a.get("axis", 0))]
    if op == "Slice":
        starts, ends = [list(map(int, t)) for t in ins[1:3]]
        axes = list(map(int, ins[3])) if len(ins) > 3 and ins[3] is not None else list(range(len(starts)))
        steps = list(map(int, ins[4])) if len(ins) > 4 and ins[4] is not None else [1] * len(starts)
        sl = [slice(None)] * x.ndim
        for s, e, ax, st in zip(starts, ends, axes, steps):
            dim = x.shape[ax]
            # clamp like ONNX (INT64_MAX / INT64_MIN sentinels)
            s = max(-dim, min(dim, s))
            e = max(-dim - 1, min(dim, e))
            sl[ax] = slice(s, e if e != -dim - 1 else None, st)
        return [x[tuple(sl)]]
    if op == "Split":
        ax = a.get("axis", 0)
        split = a.get("split") or (list(map(int, ins[1])) if len(ins) > 1 and ins[1] is not None else None)
        if split is None:
            split = [x.shape[ax] // len(n.output)] * len(n.output)
        return np.split(x, np.cumsum(split)[:-1], axis=ax)
    if op == "Expand":
        shape = [int(s) for s in ins[1]]
        return [x * np.ones(shape, dtype=x.dtype)]
    if op == "Pad":
        pads = [int(p) for p in ins[1]] if len(ins) > 1 else a["pads"]
        cval = float(ins[2]) if len(ins) > 2 and ins[2] is not None else a.get("value", 0.0)
        nd = x.ndim
        mode = a.get("mode", "constant")
        width = [(pads[i], pads[i + nd]) for i in range(nd)]
        if mode == "constant":
            return [np.pad(x, width, constant_values=cval)]
        return [np.pad(x, width, mode={"reflect": "reflect", "edge": "edge"}[mode])]
    if op == "Resize":
        assert a.get("mode", "nearest") == "nearest"
        scales = ins[2] if len(ins) > 2 and ins[2] is not None and ins[2].size else None
        if scales is None:
            sizes = ins[3]
        else:
            sizes = [int(math.floor(d * s)) for d, s in zip(x.shape, scales)]
            assert a.get("coordinate_transformation_mode") == "asymmetric"
        r = x
        for ax, size in enumerate(sizes):
            if size != r.shape[ax]:
                idx = np.floor(np.arange(size) * (r.shape[ax] / size)).astype(np.int64)
                r = np.take(r, idx, axis=ax)
        return [r]
    if op == "ScatterND":
        data = ins[0].copy()
        idx = ins[1]
        upd = ins[2]
        k = idx.shape[-1]
        for pos in np.ndindex(*idx.shape[:-1]):
            data[tuple(idx[pos][:k])] = upd[pos]
        return [data]
    if op == "Einsum":
        return [np.einsum(a["equation"], *ins).astype(ins[0].dtype)]
    if op == "Neg":
        return [-x]
    if op == "Range":
        return [np.arange(ins[0], ins[1], ins[2]).astype(np.asarray(ins[0]).dtype)]
    raise NotImplementedError(op)


def run(model, feeds):
    v = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    v.update(feeds)
    for n in model.graph.node:
        outs = run_node(n, v)
        for name, val in zip(n.output, outs):
            if name:
                v[name] = np.asarray(val)
    return [v[o.name] for o in model.graph.output]


def check_fixtures(d):
    with open(os.path.join(d, "fixtures.json")) as f:
        meta = json.load(f)
    bad = 0
    for e in meta["fixtures"]:
        m = onnx.load(os.path.join(d, e["file"]))
        cases = [(e["test_input_shapes"], e["expected_output"])]
        if "extra_case" in e:
            cases.append(([e["extra_case"]["input_shape"]], e["extra_case"]["expected_output"]))
        for shapes, expected in cases:
            feeds = {i["name"]: det_input(s) for i, s in zip(e["inputs"], shapes)}
            try:
                out = run(m, feeds)[0].reshape(-1)
                diff = float(np.max(np.abs(out - np.array(expected, np.float32))))
                status = "ok" if diff <= e["atol"] else "MISMATCH"
            except Exception as ex:  # noqa: BLE001
                diff, status = float("nan"), "error %s: %s" % (type(ex).__name__, ex)
            bad += status != "ok"
            print("%-24s %-18s max|diff| %.2e  %s" % (e["name"], "x".join(map(str, shapes[0])), diff, status))
    return bad


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", nargs="?")
    p.add_argument("--fixtures", metavar="DIR")
    args = p.parse_args()
    if args.fixtures:
        sys.exit(1 if check_fixtures(args.fixtures) else 0)
    if not args.file:
        p.error("FILE or --fixtures DIR")
    m = onnx.load(args.file)
    inits = {i.name for i in m.graph.initializer}
    feeds = {}
    for i in m.graph.input:
        if i.name in inits:
            continue
        shape = [d.dim_value if d.HasField("dim_value") else 1 for d in i.type.tensor_type.shape.dim]
        feeds[i.name] = det_input(shape)
    for o in run(m, feeds):
        print(o.shape, o.reshape(-1)[:20].tolist())


if __name__ == "__main__":
    main()
