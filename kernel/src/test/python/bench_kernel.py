"""Kernel benchmark: launch -> kernel_info_reply, `1 + 1` round trip median, first DSL cell.

Usage: JUPYTER_PATH=... /usr/bin/python3 bench_kernel.py [KERNEL ...]   (default: compresso python3)
A benchmark, not a test: prints numbers for bench/README.md.
"""
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

kernels = sys.argv[1:] or ["compresso", "python3"]
for name in kernels:
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    launch = time.perf_counter() - t0
    code = "1 + 1" if name != "python3" else "1 + 1"
    for _ in range(20):
        kc.execute_interactive(code, timeout=60, output_hook=lambda m: None)
    times = []
    for _ in range(100):
        t = time.perf_counter()
        kc.execute_interactive(code, timeout=60, output_hook=lambda m: None)
        times.append(time.perf_counter() - t)
    line = f"{name:10s} launch->kernel_info_reply {launch:.3f} s   1+1 median {statistics.median(times) * 1000:.2f} ms"
    if name == "compresso":
        t = time.perf_counter()
        r = kc.execute_interactive("var net = lenet300100();\nnet", timeout=120, output_hook=lambda m: None)
        line += f"   first DSL cell {time.perf_counter() - t:.3f} s ({r['content']['status']})"
    print(line, flush=True)
    kc.stop_channels()
    km.shutdown_kernel(now=False)
