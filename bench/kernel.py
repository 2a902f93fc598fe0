"""Kernel benchmark through Debian's jupyter_client, ipykernel measured beside it in the same run.

For each kernel: launch -> kernel_info_reply and, for compresso, the first DSL cell right after it
(medians of LAUNCHES fresh kernels); then in one kernel the execute round trip (execute_request ->
reply and idle) of several cells, median of ROUNDS after WARMUP.

Cells, from cheapest to dearest for a JShell kernel:
  comment   `// nothing`      no compilation: the protocol and the kernel's own work
  decl      `int x = 1 + 1;`  one javac compile of a wrapper class, loaded and run
  expr      `1 + 1`           the target cell: JShell compiles it twice (its type, then the code)

Then `1 + 1` again after SESSION more cells in the same kernel: a kernel that keeps every value as a
JShell `$N` temporary compiles each cell slower than the last.

Usage: JUPYTER_PATH=... /usr/bin/python3 bench/kernel.py [LAUNCHES] [WARMUP] [ROUNDS] [SESSION]
bench/run.sh kernel installs the kernelspec into a temporary prefix and runs this.
"""
import os
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

launches = int(sys.argv[1]) if len(sys.argv) > 1 else 5
warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
session = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
cells = {"python3": {"comment": "# nothing", "decl": "x = 1 + 1", "expr": "1 + 1"},
         "compresso": {"comment": "// nothing", "decl": "int x = 1 + 1;", "expr": "1 + 1"}}


def start(name):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    return km, kc, time.perf_counter() - t0


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=False)



def run(kc, code):
    t = time.perf_counter()
    reply = kc.execute_interactive(code, timeout=120, output_hook=lambda m: None)
    if reply["content"]["status"] != "ok":
        raise SystemExit(f"cell {code!r} failed: {reply['content']}")
    return time.perf_counter() - t


def ms(xs):
    return f"{statistics.median(xs) * 1000:6.2f} ms"


print(f"machine: {os.cpu_count()} cores; launches {launches}, warmup {warmup}, rounds {rounds} per cell,"
      f" then {session} cells more", flush=True)
for name in ("compresso", "python3"):
    launch, first_dsl = [], []
    for _ in range(launches):
        km, kc, t = start(name)
        launch.append(t)
        if name == "compresso":
            first_dsl.append(run(kc, "var net = lenet300100();\nnet"))
        stop(km, kc)
        del km, kc  # finalized now: at interpreter exit jupyter_client's finalizer fails to log
    km, kc, _ = start(name)
    line = [f"{name:10s} launch->kernel_info_reply {statistics.median(launch):.3f} s"]
    for label, code in cells[name].items():
        for _ in range(warmup):
            run(kc, code)
        line.append(f"{label} {ms([run(kc, code) for _ in range(rounds)])}")
    expr = cells[name]["expr"]
    later = [run(kc, expr) for _ in range(session)]
    line.append(f"expr after {session} more cells {ms(later[-rounds:])}")
    if name == "compresso":
        line.append(f"first DSL cell after start {statistics.median(first_dsl):.3f} s")
    stop(km, kc)
    del km, kc
    print("   ".join(line), flush=True)
