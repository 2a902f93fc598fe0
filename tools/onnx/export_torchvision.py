#!/usr/bin/python3
"""Export torchvision classification models to ONNX and write an operator census.

Every classification model builder registered in `torchvision.models` (found
with torchvision.models.list_models(module=torchvision.models), falling back to
scanning the module for lowercase builders on old torchvision) is built with
random weights (weights=None: nothing is downloaded), put in eval() mode and
exported with torch.onnx.export at a fixed static batch-1 input shape, with one
input named `input` and one output named `output`. The default export settings
are used (training=EVAL, do_constant_folding=True), so Conv+BatchNormalization
pairs are fused by the exporter's eval peephole pass; --preserve-bn exports with
training=TrainingMode.PRESERVE instead, which skips that pass and keeps
BatchNormalization nodes.

Writes OUT_DIR/<model>.onnx and OUT_DIR/census.json (rewritten after every
model, so a long run can be watched). Per model the census holds: file, params,
file bytes, opset, status ("ok" / "export failed" / "check failed" /
"skipped"), error, seconds, sorted op_types with counts, each op's distinct
attribute names, and a detailed analysis (attribute values, input sources,
shape-computation subgraphs; see onnx_inspect.py).

Usage (use Debian's interpreter, which has torch):
    OMP_NUM_THREADS=1 /usr/bin/python3 export_torchvision.py /tmp/tv-onnx
    /usr/bin/python3 export_torchvision.py /tmp/x --models resnet18,vit_b_16 --opset 17
"""
import argparse
import gc
import json
import os
import sys
import time
import traceback
import warnings

sys.dont_write_bytecode = True  # keep tools/onnx free of __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import onnx  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
import torchvision.models as tvm  # noqa: E402

from onnx_inspect import analyze  # noqa: E402

# Models whose builder insists on a particular input resolution.
DEFAULT_SIZE = {"inception_v3": 299}
# Models built for a fixed image size (position embeddings / window partitions).
FIXED_SIZE_KW = ("vit_", "maxvit")


def classification_models():
    if hasattr(tvm, "list_models"):
        try:
            return sorted(tvm.list_models(module=tvm))
        except TypeError:
            pass
    names = []
    for n in dir(tvm):
        f = getattr(tvm, n)
        if n[0].islower() and callable(f) and not isinstance(f, type(tvm)) and not n.startswith("_") \
                and n not in ("get_model", "get_model_builder", "get_model_weights", "get_weight",
                              "list_models"):
            names.append(n)
    return sorted(names)


def build(name, size):
    kwargs = {}
    if size != 224 and name.startswith("vit_"):
        kwargs["image_size"] = size
    builder = tvm.get_model_builder(name) if hasattr(tvm, "get_model_builder") else getattr(tvm, name)
    try:
        return builder(weights=None, **kwargs)
    except TypeError:
        return builder(pretrained=False, **kwargs)


def reanalyze(out_dir):
    census_path = os.path.join(out_dir, "census.json")
    with open(census_path) as f:
        census = json.load(f)
    for name, entry in census["models"].items():
        path = os.path.join(out_dir, entry.get("file", ""))
        if entry.get("status") != "ok" or not os.path.isfile(path):
            continue
        t0 = time.time()
        a = analyze(onnx.load(path))
        entry["ops"], entry["attrs"], entry["analysis"] = a["ops"], a["attrs"], a
        entry["batchnorm_in_graph"] = "BatchNormalization" in a["ops"]
        print("reanalyzed %-22s %.1fs" % (name, time.time() - t0), flush=True)
        tmp = census_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(census, f, indent=1)
        os.replace(tmp, census_path)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("out_dir")
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--models", help="comma-separated subset (default: all classification models)")
    p.add_argument("--input-size", type=int,
                   help="square input size for every model (default 224, inception_v3 299)")
    p.add_argument("--max-params", type=float, default=150e6,
                   help="skip models with more parameters than this (default 150e6)")
    p.add_argument("--preserve-bn", action="store_true",
                   help="export with training=TrainingMode.PRESERVE so BatchNormalization is not fused")
    p.add_argument("--resume", action="store_true",
                   help="keep entries of an existing census.json whose status is ok or skipped")
    p.add_argument("--delete-onnx", action="store_true",
                   help="delete each .onnx after analysing it (saves disk)")
    p.add_argument("--patch-aten-zero", action="store_true",
                   help="register an ONNX symbolic for aten::zero (Tensor.zero_, used by swin_v2_* in "
                        "torchvision 0.14) as Mul(x, 0.0); torch 1.13 has none, so swin_v2_* fail without it")
    p.add_argument("--reanalyze", action="store_true",
                   help="do not export: recompute the analysis of every ok model of OUT_DIR/census.json "
                        "from its .onnx file (after onnx_inspect.py changed)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if args.reanalyze:
        return reanalyze(args.out_dir)
    if args.patch_aten_zero:
        def _zero(g, self):
            return g.op("Mul", self, g.op("Constant", value_t=torch.tensor(0.0)))
        for v in range(9, 18):
            torch.onnx.register_custom_op_symbolic("aten::zero", _zero, v)

    os.makedirs(args.out_dir, exist_ok=True)
    census_path = os.path.join(args.out_dir, "census.json")
    all_models = classification_models()
    names = args.models.split(",") if args.models else all_models
    census = {"command": " ".join(sys.argv), "torch": torch.__version__, "torchvision": torchvision.__version__,
              "onnx": onnx.__version__, "opset": args.opset,
              "preserve_bn": args.preserve_bn, "models": {}}
    if args.resume and os.path.exists(census_path):
        with open(census_path) as f:
            old = json.load(f)
        census["models"] = {k: v for k, v in old.get("models", {}).items()
                            if v.get("status") in ("ok", "skipped")}
        census["previous_runs"] = old.get("previous_runs", []) + [
            {k: old.get(k) for k in ("command", "total_seconds_this_run", "preserve_bn")}]


    order = list(all_models)
    if args.resume and os.path.exists(census_path):
        with open(census_path) as f:
            order = list(json.load(f).get("models", {})) + order

    def save():
        census["models"] = dict(sorted(census["models"].items(),
                                       key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))
        tmp = census_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(census, f, indent=1, sort_keys=False)
        os.replace(tmp, census_path)

    t_all = time.time()
    for name in names:
        if name in census["models"]:
            continue
        size = args.input_size or DEFAULT_SIZE.get(name, 224)
        entry = {"file": name + ".onnx", "opset": args.opset, "input_shape": [1, 3, size, size]}
        if args.patch_aten_zero:
            entry["patched_aten_zero"] = True
        census["models"][name] = entry
        t0 = time.time()
        print("[%s] %s ..." % (time.strftime("%H:%M:%S"), name), flush=True)
        try:
            torch.manual_seed(args.seed)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = build(name, size)
            model.eval()
            params = sum(p.numel() for p in model.parameters())
            entry["params"] = params
            entry["has_batchnorm_module"] = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                                                for m in model.modules())
            if params > args.max_params:
                entry["status"] = "skipped"
                entry["error"] = "params %d > --max-params %d" % (params, args.max_params)
                print("   skipped (%.1fM params)" % (params / 1e6), flush=True)
                continue
            path = os.path.join(args.out_dir, entry["file"])
            x = torch.randn(1, 3, size, size)
            with warnings.catch_warnings(record=True) as wlist:
                warnings.simplefilter("always")
                kw = {}
                if args.preserve_bn:
                    kw["training"] = torch.onnx.TrainingMode.PRESERVE
                # NOT under torch.no_grad(): with grad disabled, eval nn.MultiheadAttention takes
                # the fused fast path aten::_native_multi_head_attention, which has no ONNX
                # symbolic in torch 1.13 (vit_* export fails).
                torch.onnx.export(model, x, path, opset_version=args.opset,
                                  input_names=["input"], output_names=["output"], **kw)
            entry["export_warnings"] = sorted({str(w.message)[:300] for w in wlist})[:10]
            entry["export_seconds"] = round(time.time() - t0, 1)
            entry["file_bytes"] = os.path.getsize(path)
        except Exception as e:  # noqa: BLE001
            entry["status"] = "export failed"
            entry["error"] = "%s: %s" % (type(e).__name__, str(e)[:2000])
            entry["traceback_tail"] = traceback.format_exc().splitlines()[-6:]
            entry["seconds"] = round(time.time() - t0, 1)
            print("   EXPORT FAILED: %s" % entry["error"][:300], flush=True)
            save()
            model = None
            gc.collect()
            continue
        try:
            m = onnx.load(path)
            a = analyze(m)
            entry["ops"] = a["ops"]
            entry["attrs"] = a["attrs"]
            entry["batchnorm_in_graph"] = "BatchNormalization" in a["ops"]
            entry["analysis"] = a
            try:
                onnx.checker.check_model(path, full_check=True)
                entry["checker"] = "ok"
                entry["status"] = "ok"
            except Exception as e:  # noqa: BLE001
                entry["checker"] = str(e)[:2000]
                entry["status"] = "check failed"
            del m
        except Exception as e:  # noqa: BLE001
            entry["status"] = "analysis failed"
            entry["error"] = "%s: %s" % (type(e).__name__, str(e)[:2000])
        entry["seconds"] = round(time.time() - t0, 1)
        if args.delete_onnx:
            os.remove(path)
        print("   %s  %.1fM params  %.1f MB  %d op types  %.1fs" % (
            entry["status"], entry["params"] / 1e6, entry["file_bytes"] / 1e6,
            len(entry.get("ops", {})), entry["seconds"]), flush=True)
        save()
        model = None
        gc.collect()

    census["total_seconds_this_run"] = round(time.time() - t_all, 1)
    save()

    # summary table
    print()
    print("%-22s %-14s %9s %9s %6s  %s" % ("model", "status", "params(M)", "MB", "sec", "ops"))
    for name, e in census["models"].items():
        print("%-22s %-14s %9.1f %9.1f %6s  %s" % (
            name, e.get("status"), e.get("params", 0) / 1e6, e.get("file_bytes", 0) / 1e6,
            e.get("seconds", ""), ",".join(e.get("ops", {}).keys())))
    skipped = [n for n, e in census["models"].items() if e.get("status") == "skipped"]
    failed = [n for n, e in census["models"].items() if e.get("status") not in ("ok", "skipped")]
    union = sorted({op for e in census["models"].values() for op in e.get("ops", {})})
    print("\nskipped (> --max-params): %s" % (", ".join(skipped) or "-"))
    print("failed: %s" % (", ".join("%s (%s)" % (n, census["models"][n].get("error", census["models"][n].get("checker", ""))[:120]) for n in failed) or "-"))
    print("operator union (%d): %s" % (len(union), ", ".join(union)))
    print("total %.0fs" % census["total_seconds_this_run"])


if __name__ == "__main__":
    main()
