"""Structural analysis of an ONNX model, shared by the tools in this folder.

`analyze(model)` returns a JSON-serialisable dict describing which operators a
graph uses and how: attribute values, where each input comes from (initializer,
Constant node, graph input or another op), input ranks after shape inference,
small constant input values (Reshape shapes, Slice starts/ends, ...), Conv kinds
(plain / depthwise / grouped) and the run-time shape-computation subgraphs
(values derived from `Shape` nodes) together with the inputs they feed.

It is used by export_torchvision.py (per-model census), summarize_census.py
(OPERATORS.md) and make_fixtures.py (fixtures.json). Run it directly to print
the analysis of one file:

    /usr/bin/python3 onnx_inspect.py model.onnx
"""
import collections
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference

MAX_DISTINCT = 40
SMALL_CONST = 16  # constant inputs with at most this many elements are recorded by value

DTYPE_NAMES = {v: k for k, v in onnx.TensorProto.DataType.items()}


def _attr_value(a):
    """A short hashable/JSON-friendly representation of an attribute value."""
    t = a.type
    A = onnx.AttributeProto
    if t == A.INT:
        if a.name == "to":
            return DTYPE_NAMES.get(a.i, a.i)
        return a.i
    if t == A.FLOAT:
        return _f(a.f)
    if t == A.STRING:
        return a.s.decode("utf-8", "replace")
    if t == A.INTS:
        return list(a.ints)
    if t == A.FLOATS:
        return [_f(x) for x in a.floats]
    if t == A.STRINGS:
        return [s.decode("utf-8", "replace") for s in a.strings]
    if t == A.TENSOR:
        arr = numpy_helper.to_array(a.t)
        d = {"dtype": DTYPE_NAMES.get(a.t.data_type, a.t.data_type), "dims": list(arr.shape)}
        if arr.size <= SMALL_CONST:
            d["value"] = ([_f(x) for x in arr.reshape(-1)] if arr.dtype.kind == "f" else arr.reshape(-1).tolist()) \
                if arr.ndim else (_f(arr) if arr.dtype.kind == "f" else arr.item())
        return d
    if t == A.GRAPH:
        return "<graph>"
    return "<attr type %d>" % t


def _f(x):
    """float -> 7 significant digits (keeps 1e-12 and 4.60517, unlike fixed decimals)."""
    return float("%.7g" % float(x))


def _key(v):
    return json.dumps(v, sort_keys=True)


class _Distinct:
    """Ordered set of JSON values, capped."""

    def __init__(self):
        self.seen = collections.OrderedDict()
        self.overflow = 0

    def add(self, v):
        k = _key(v)
        if k in self.seen:
            self.seen[k][1] += 1
        elif len(self.seen) < MAX_DISTINCT:
            self.seen[k] = [v, 1]
        else:
            self.overflow += 1

    def to_json(self):
        out = [{"value": v, "count": c} for v, c in self.seen.values()]
        if self.overflow:
            out.append({"value": "...more", "count": self.overflow})
        return out


def _rank_map(model):
    """value name -> (elem_type, shape list with ints/strings/None) after shape inference."""
    try:
        inferred = shape_inference.infer_shapes(model)
    except Exception:  # noqa: BLE001 - best effort
        inferred = model
    g = inferred.graph
    out = {}
    for vi in list(g.value_info) + list(g.input) + list(g.output):
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            out[vi.name] = (tt.elem_type, None)
            continue
        dims = []
        for d in tt.shape.dim:
            if d.HasField("dim_value"):
                dims.append(d.dim_value)
            elif d.HasField("dim_param"):
                dims.append(d.dim_param)
            else:
                dims.append(None)
        out[vi.name] = (tt.elem_type, dims)
    for init in g.initializer:
        out[init.name] = (init.data_type, list(init.dims))
    return out


def analyze(model, infer=True):
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    graph_inputs = {i.name for i in g.input if i.name not in inits}
    producers = {}
    const_values = {}  # name -> numpy array for Constant outputs and small initializers
    for n in g.node:
        for o in n.output:
            producers[o] = n
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    const_values[n.output[0]] = numpy_helper.to_array(a.t)
                elif a.name in ("value_ints", "value_floats", "value_int", "value_float"):
                    const_values[n.output[0]] = np.array(onnx.helper.get_attribute_value(a))
    shapes = _rank_map(model) if infer else {}

    ops = collections.Counter()
    attr_names = collections.defaultdict(set)
    attr_vals = collections.defaultdict(lambda: collections.defaultdict(_Distinct))
    input_src = collections.defaultdict(lambda: collections.defaultdict(collections.Counter))
    const_inputs = collections.defaultdict(lambda: collections.defaultdict(_Distinct))
    ranks = collections.defaultdict(_Distinct)
    conv_kinds = collections.Counter()
    subgraph_ops = collections.Counter()

    # --- shape-computation taint: values computed from Shape at run time
    tainted = set()
    shape_nodes = set()
    sinks = collections.Counter()
    shape_node_ops = collections.Counter()

    def is_const(name):
        return name in inits or name in const_values or (
            name in producers and producers[name].op_type == "Constant")

    for n in g.node:  # nodes are topologically sorted in valid ONNX
        if n.op_type == "Shape":
            tainted.update(n.output)
            shape_nodes.add(id(n))
            shape_node_ops["Shape"] += 1
            continue
        ins = [i for i in n.input if i]
        tin = [i for i in ins if i in tainted]
        if not tin:
            continue
        others = [i for i in ins if i not in tainted and not is_const(i)]
        if not others:
            tainted.update(n.output)
            shape_node_ops[n.op_type] += 1
        else:
            for idx, i in enumerate(n.input):
                if i in tainted:
                    sinks["%s[input %d]" % (n.op_type, idx)] += 1
    for o in g.output:
        if o.name in tainted:
            sinks["<graph output>"] += 1

    for n in g.node:
        ops[n.op_type] += 1
        for a in n.attribute:
            attr_names[n.op_type].add(a.name)
            if a.type == onnx.AttributeProto.GRAPH:
                sub = analyze(onnx.helper.make_model(a.g), infer=False)
                for k, v in sub["ops"].items():
                    subgraph_ops[k] += v
            attr_vals[n.op_type][a.name].add(_attr_value(a))
        for idx, i in enumerate(n.input):
            if not i:
                kind = "<empty>"
            elif i in inits:
                kind = "initializer"
            elif i in graph_inputs:
                kind = "graph input"
            elif i in producers:
                p = producers[i]
                kind = "Constant" if p.op_type == "Constant" else (
                    "shape-computed:" + p.op_type if i in tainted else "op:" + p.op_type)
            else:
                kind = "<unknown>"
            input_src[n.op_type][idx][kind] += 1
            # constant values of small inputs (not the main data input for most ops)
            arr = None
            if i in inits and idx > 0:
                init = inits[i]
                size = int(np.prod(init.dims)) if init.dims else 1
                if size <= SMALL_CONST:
                    arr = numpy_helper.to_array(init)
            elif i in const_values and idx > 0:
                if const_values[i].size <= SMALL_CONST:
                    arr = const_values[i]
            if arr is not None:
                const_inputs[n.op_type][idx].add(
                    {"dtype": str(arr.dtype), "shape": list(arr.shape),
                     "value": [_f(x) if arr.dtype.kind == "f" else int(x)
                               for x in arr.reshape(-1)]})
        if shapes:
            sig = []
            for i in n.input:
                s = shapes.get(i, (None, None))[1] if i else "-"
                sig.append("?" if s is None else ("-" if s == "-" else str(len(s))))
            ranks[n.op_type].add("x".join(sig) if sig else "()")
        if n.op_type == "Conv" and len(n.input) > 1 and n.input[1] in inits:
            w = inits[n.input[1]].dims
            group = 1
            for a in n.attribute:
                if a.name == "group":
                    group = a.i
            if group == 1:
                conv_kinds["group=1"] += 1
            elif w[1] == 1:
                conv_kinds["depthwise (group=C_in, W[1]=1)"] += 1
            else:
                conv_kinds["grouped (1<group<C_in)"] += 1
            conv_kinds["kernel %s" % "x".join(map(str, w[2:]))] += 1

    io = {}
    for part, vals in (("inputs", [i for i in g.input if i.name not in inits]), ("outputs", g.output)):
        io[part] = []
        for vi in vals:
            tt = vi.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in tt.shape.dim]
            io[part].append({"name": vi.name, "dtype": DTYPE_NAMES.get(tt.elem_type, tt.elem_type),
                             "shape": dims})

    opsets = {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
    init_dtypes = collections.Counter(DTYPE_NAMES.get(i.data_type, i.data_type) for i in g.initializer)

    return {
        "opset": opsets,
        "ir_version": model.ir_version,
        "producer": "%s %s" % (model.producer_name, model.producer_version),
        "io": io,
        "n_nodes": len(g.node),
        "n_initializers": len(g.initializer),
        "initializer_dtypes": dict(init_dtypes),
        "initializers_also_graph_inputs": sum(1 for i in g.input if i.name in inits),
        "ops": dict(sorted(ops.items())),
        "attrs": {k: sorted(v) for k, v in sorted(attr_names.items())},
        "attr_values": {op: {a: d.to_json() for a, d in sorted(av.items())}
                        for op, av in sorted(attr_vals.items())},
        "input_sources": {op: {str(idx): dict(c) for idx, c in sorted(src.items())}
                          for op, src in sorted(input_src.items())},
        "const_inputs": {op: {str(idx): d.to_json() for idx, d in sorted(ci.items())}
                         for op, ci in sorted(const_inputs.items())},
        "input_ranks": {op: d.to_json() for op, d in sorted(ranks.items())},
        "conv_kinds": dict(conv_kinds),
        "shape_subgraph": {"ops": dict(shape_node_ops), "feeds": dict(sinks)},
        "subgraph_ops": dict(subgraph_ops),
    }


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file")
    args = p.parse_args(argv)
    m = onnx.load(args.file)
    print(json.dumps(analyze(m), indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
