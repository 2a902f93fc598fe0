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
    assert reply["content"]["status"] == "ok", reply["content"]

    # display(x) / updateDisplay(id, x): one display_data, then an update_display_data with its id
    msgs = []
    reply = kc.execute_interactive("var d = display(\"first\");\nupdateDisplay(d, \"second\");", timeout=60,
                                   output_hook=msgs.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    shown = [m for m in msgs if m["msg_type"] == "display_data"]
    updated = [m for m in msgs if m["msg_type"] == "update_display_data"]
    assert shown and updated, [m["msg_type"] for m in msgs]
    assert shown[0]["content"]["transient"]["display_id"] == updated[0]["content"]["transient"]["display_id"]
    assert updated[0]["content"]["data"]["text/plain"] == "second", updated[0]["content"]

    # training shows a live progress bar: an HTML <progress> display, updated in place
    msgs = []
    reply = kc.execute_interactive("var tiny = mlp(4, 8, 3).train(blobs(120, 30, 4, 3), epochs(2));", timeout=300,
                                   output_hook=msgs.append)
    assert reply["content"]["status"] == "ok", reply["content"]
    bars = [m for m in msgs if m["msg_type"] in ("display_data", "update_display_data")
            and "<progress" in m["content"]["data"].get("text/html", "")]
    assert bars and bars[0]["msg_type"] == "display_data", [m["msg_type"] for m in msgs]
    assert any(m["msg_type"] == "update_display_data" for m in bars), [m["msg_type"] for m in msgs]
    assert all("text/plain" in m["content"]["data"] for m in bars)
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
        {"cell_type": "code", "id": "d", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "var d = display(\"first\");\nupdateDisplay(d, \"second\");"},
        {"cell_type": "code", "id": "e", "metadata": {}, "execution_count": None, "outputs": [],
         "source": "var tiny = mlp(4, 8, 3).train(blobs(120, 30, 4, 3), epochs(2));"},
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
# nbclient applies update_display_data to the display with that id: the saved output is the update
disp = [o for o in cells[3]["outputs"] if o["output_type"] == "display_data"]
assert len(disp) == 1 and txt(disp[0]["data"]["text/plain"]) == "second", cells[3]["outputs"]
bar = [o for o in cells[4]["outputs"] if o["output_type"] == "display_data" and "<progress" in txt(o["data"].get("text/html", ""))]
assert len(bar) == 1, cells[4]["outputs"]
# the bar was updated to the end of training
assert 'value="1.0000"' in txt(bar[0]["data"]["text/html"]), bar[0]["data"]
print("jupyter integration: ok")
