#!/usr/bin/python3
"""Validate an ONNX file with the official checker (for Compresso's Java tests).

    /usr/bin/python3 check_model.py FILE [--json]

Runs onnx.checker.check_model(onnx.load(FILE), full_check=True) (full_check
also runs strict shape inference). Output on stdout:

    ok                                  (or: the checker's / loader's message)
    opset: ai.onnx=13
    ops: Add=2,Conv=5,...

Exit status: 0 if the model is valid, 1 if it is not (checker error, or the
file cannot be parsed as an ONNX ModelProto, e.g. truncated or not ONNX),
2 on usage errors. With --json a single JSON object
{"ok": bool, "message": str, "opset": {...}, "ops": {...}} is printed instead.
Files over 2 GB are checked by path (protobuf's in-memory limit).
"""
import argparse
import collections
import json
import os
import sys


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args()

    import onnx  # imported late so --help works fast

    result = {"ok": False, "message": "", "opset": {}, "ops": {}}
    model = None
    try:
        if not os.path.isfile(args.file):
            raise FileNotFoundError("no such file: %s" % args.file)
        model = onnx.load(args.file)
        if not model.graph.node and not model.opset_import:
            # an arbitrary byte string often parses as an empty ModelProto
            raise ValueError("not an ONNX model: no graph nodes and no opset_import")
        result["opset"] = {(o.domain or "ai.onnx"): o.version for o in model.opset_import}
        result["ops"] = dict(sorted(collections.Counter(n.op_type for n in model.graph.node).items()))
        if os.path.getsize(args.file) > 2_000_000_000:
            onnx.checker.check_model(args.file, full_check=True)
        else:
            onnx.checker.check_model(model, full_check=True)
        result["ok"] = True
        result["message"] = "ok"
    except Exception as e:  # noqa: BLE001 - report any failure
        result["message"] = ("%s: %s" % (type(e).__name__, e)).strip()

    if args.json:
        print(json.dumps(result))
    else:
        print(result["message"])
        print("opset: " + ",".join("%s=%d" % kv for kv in result["opset"].items()))
        print("ops: " + ",".join("%s=%d" % kv for kv in result["ops"].items()))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
