"""Kernel benchmark through Debian's jupyter_client, ipykernel measured beside it in the same run.

For each kernel: launch -> kernel_info_reply and, for compresso, the first DSL cell right after it
and, in other fresh kernels, the first DSL cell after a `1 + 1` cell, once JShell is up (medians of
LAUNCHES fresh kernels); then in one kernel the execute round trip (execute_request ->
reply and idle) of several cells, median of ROUNDS after WARMUP.

Cells, from cheapest to dearest for a JShell kernel:
  comment   `// nothing`      no compilation: the protocol and the kernel's own work
  decl      `int x = 1 + 1;`  one javac compile of a wrapper class, loaded and run
  expr      `1 + 1`           the target cell: JShell compiles it twice (its type, then the code)

Then `1 + 1` again after SESSION more cells in the same kernel: a kernel that keeps every value as a
JShell `$N` temporary compiles each cell slower than the last.

Last, interrupt latency: a tight loop runs for 0.5 s, then `KernelManager.interrupt_kernel()` (a
message for compresso, SIGINT for ipykernel) and the time until its execute_reply, median of
INTERRUPTS; for compresso again under every JDK 21+ found in /usr/lib/jvm (JDK 20 removed
Thread.stop, so the stop works differently there), with its launch and first DSL cell after start
(medians of LAUNCHES; on JDK 25+ the launcher's archive is an AOT cache).

Each round-trip median comes with the kernel process's CPU time per cell (all threads, user and
system), which a busy shared machine inflates less than wall time.

Before the round trips, the kernel is left idle for IDLE seconds (default 10), as a user reading the
notebook leaves it; both kernels get the same time, and the kernel's resident memory is read then.

Usage: JUPYTER_PATH=... /usr/bin/python3 bench/kernel.py [LAUNCHES] [WARMUP] [ROUNDS] [SESSION] [INTERRUPTS] [IDLE]
bench/run.sh kernel installs the kernelspec into a temporary prefix and runs this.
"""
import glob
import os
import statistics
import sys
import time

from jupyter_client.manager import KernelManager

launches = int(sys.argv[1]) if len(sys.argv) > 1 else 5
warmup = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 200
session = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
interrupts = int(sys.argv[5]) if len(sys.argv) > 5 else 10
idle = float(sys.argv[6]) if len(sys.argv) > 6 else 10
cells = {"python3": {"comment": "# nothing", "decl": "x = 1 + 1", "expr": "1 + 1"},
         "compresso": {"comment": "// nothing", "decl": "int x = 1 + 1;", "expr": "1 + 1"}}
spin = {"python3": "while True:\n    pass", "compresso": "while (true) { }"}


def start(name, env=None):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel(env=env) if env else km.start_kernel()
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


def interrupt_latency(km, kc, code):
    """Seconds from interrupt_kernel() to the execute_reply of a cell spinning for 0.5 s."""
    msg_id = kc.execute(code, stop_on_error=False)  # else ipykernel aborts the next cell too
    time.sleep(0.5)
    t = time.perf_counter()
    km.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=30)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - t
    if reply["content"]["status"] != "error":
        raise SystemExit(f"the interrupted cell {code!r} replied {reply['content']}")
    run(kc, "1 + 1")  # answers again (and its idle status ends the interrupted cell's output)
    return elapsed


def rss_mib(km):
    """The kernel process's resident set (VmRSS), in MiB (the launcher execs java, so its pid is the JVM's)."""
    pid = km.provisioner.process.pid
    with open(f"/proc/{pid}/status") as f:
        kib = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
    return kib / 1024


def cpu_seconds(km):
    """CPU time the kernel process has used (user + system, all its threads)."""
    fields = open(f"/proc/{km.provisioner.process.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ms(xs):
    return f"{statistics.median(xs) * 1000:6.2f} ms"


DSL_CELL = "var net = lenet300100();\nnet"


def launch_and_first_dsl(env=None):
    """A fresh compresso kernel: (launch -> kernel_info_reply, the first DSL cell right after it), seconds."""
    km, kc, t = start("compresso", env=env)
    first = run(kc, DSL_CELL)
    stop(km, kc)
    del km, kc  # finalized now: at interpreter exit jupyter_client's finalizer fails to log
    return t, first


print(f"machine: {os.cpu_count()} cores; launches {launches}, warmup {warmup}, rounds {rounds} per cell,"
      f" then {session} cells more", flush=True)
for name in ("compresso", "python3"):
    launch, first_dsl, later_dsl = [], [], []
    for i in range(launches):
        if name == "compresso":
            t, first = launch_and_first_dsl()
            first_dsl.append(first)
        else:
            km, kc, t = start(name)
            stop(km, kc)
            del km, kc  # finalized now: at interpreter exit jupyter_client's finalizer fails to log
        launch.append(t)
        if name == "compresso":  # a DSL cell once JShell is up (a plain cell ran first)
            km, kc, t = start(name)
            run(kc, "1 + 1")
            later_dsl.append(run(kc, DSL_CELL))
            stop(km, kc)
            del km, kc
    km, kc, _ = start(name)
    time.sleep(idle)  # a user reads the notebook before running the first cell; each kernel may use that time
    line = [f"{name:10s} launch->kernel_info_reply {statistics.median(launch):.3f} s",
            f"idle RSS after {idle:g} s {rss_mib(km):.0f} MiB"]
    for label, code in cells[name].items():
        for _ in range(warmup):
            run(kc, code)
        c0 = cpu_seconds(km)
        line.append(f"{label} {ms([run(kc, code) for _ in range(rounds)])} (CPU {1000 * (cpu_seconds(km) - c0) / rounds:.2f} ms)")
    expr = cells[name]["expr"]
    later = [run(kc, expr) for _ in range(session)]
    line.append(f"expr after {session} more cells {ms(later[-rounds:])}")
    if name == "compresso":
        line.append(f"first DSL cell after start {statistics.median(first_dsl):.3f} s")
        line.append(f"first DSL cell after a plain one {statistics.median(later_dsl):.3f} s")
    line.append(f"interrupt {ms([interrupt_latency(km, kc, spin[name]) for _ in range(interrupts)])}")
    line.append(f"RSS at the end {rss_mib(km):.0f} MiB")
    stop(km, kc)
    del km, kc
    print("   ".join(line), flush=True)

for jdk in sorted(glob.glob("/usr/lib/jvm/*")):
    release = os.path.join(jdk, "release")
    if not os.path.exists(release) or os.path.islink(jdk):
        continue
    version = next((l.split("=")[1].strip('"\n') for l in open(release) if l.startswith("JAVA_VERSION=")), "")
    if int(version.split(".")[0]) < 21:
        continue
    env = {**os.environ, "JAVA_HOME": jdk}
    # each JDK starts from its own class-data archive (an AOT cache on JDK 25+), written by run.sh
    launch, first_dsl = zip(*[launch_and_first_dsl(env) for _ in range(launches)])
    km, kc, t = start("compresso", env=env)
    lat = [interrupt_latency(km, kc, spin["compresso"]) for _ in range(interrupts)]
    stop(km, kc)
    del km, kc
    print(f"compresso on JDK {version}: launch->kernel_info_reply {statistics.median(launch):.3f} s   "
          f"first DSL cell after start {statistics.median(first_dsl):.3f} s   interrupt {ms(lat)}", flush=True)
