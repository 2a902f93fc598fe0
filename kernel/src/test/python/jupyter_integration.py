"""Drives an installed Compresso kernelspec through Debian's jupyter_client and nbconvert.

Usage: /usr/bin/python3 jupyter_integration.py JUPYTER_DATA_DIR WORK_DIR
The kernelspec must already be in JUPYTER_DATA_DIR/kernels/compresso. Exits non-zero on failure.
"""
import json
import os
import subprocess
import sys
import time

data_dir, work = sys.argv[1], sys.argv[2]
os.environ["JUPYTER_PATH"] = data_dir

from jupyter_client.kernelspec import KernelSpecManager  # noqa: E402
from jupyter_client.manager import start_new_kernel  # noqa: E402

specs = KernelSpecManager().find_kernel_specs()
assert "compresso" in specs, f"compresso not in {specs}"
spec = json.load(open(os.path.join(specs["compresso"], "kernel.json")))
assert spec["interrupt_mode"] == "message", spec
assert os.path.exists(os.path.join(specs["compresso"], "logo-64x64.png"))

km, kc = start_new_kernel(kernel_name="compresso", startup_timeout=120)
try:
    outputs = []
    reply = kc.execute_interactive("var s = \"ab\";\ns.repeat(2)", timeout=60, output_hook=outputs.append)
    assert reply["content"]["status"] == "ok", reply
    results = [m for m in outputs if m["msg_type"] == "execute_result"]
    assert results and results[0]["content"]["data"]["text/plain"] == "abab", outputs

    # interrupt a tight loop through jupyter_client (interrupt_mode message -> control channel)
    kc.execute("while (true) { }")
    time.sleep(0.5)
    t0 = time.time()
    km.interrupt_kernel()
    r = kc.get_shell_msg(timeout=10)
    waited = time.time() - t0
    assert r["content"]["status"] == "error", r["content"]
    assert waited < 1.0, f"interrupt took {waited:.3f} s"
    reply = kc.execute_interactive("1 + 1", timeout=30, output_hook=lambda m: None)
    assert reply["content"]["status"] == "ok"
finally:
    kc.stop_channels()
    km.shutdown_kernel(now=False)

nb = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "compresso", "display_name": "Compresso (Java)", "language": "java"}},
    "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "execution_count": None, "outputs": [], "source": "int x = 6;\nx * 7"},
        {"cell_type": "code", "id": "b", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "var c = new XYChartBuilder().title(\"t\").build();\nc.addSeries(\"s\", new double[] {1, 2}, new double[] {3, 4});\nc"},
        {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None, "outputs": [], "source": "System.out.println(\"printed\");"},
    ],
}
path = os.path.join(work, "tiny.ipynb")
json.dump(nb, open(path, "w"))
subprocess.run(["/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
                "--ExecutePreprocessor.kernel_name=compresso", "--ExecutePreprocessor.timeout=120", path],
               check=True, env=os.environ)
done = json.load(open(path))


def txt(v):
    """nbformat stores multi-line strings as lists of lines on disk."""
    return "".join(v) if isinstance(v, list) else v


cells = done["cells"]
assert txt(cells[0]["outputs"][0]["data"]["text/plain"]) == "42", cells[0]["outputs"]
assert "image/png" in cells[1]["outputs"][0]["data"], cells[1]["outputs"]
assert txt(cells[2]["outputs"][0]["text"]) == "printed\n", cells[2]["outputs"]
print("jupyter integration: ok")
