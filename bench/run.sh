#!/usr/bin/env bash
# Builds the dsl and bench modules (offline) and runs one benchmark.
#   bench/run.sh epoch [rounds] [epochs]   DJL vs PyTorch epoch time, one thread each side
#   bench/run.sh memory [epochs]           RSS after each of 20 epochs in one process
#   bench/run.sh engine [runs]             engine load time in fresh JVMs
#   bench/run.sh accuracy [epochs]         test top-1 of LeNet-300-100 after 10 epochs
#   bench/run.sh pruning [rounds] [epochRounds]  structured-pruning latency and masked fine-tuning overhead
#   bench/run.sh pack [runs] [warmup] [fresh]  pack (k-means + Huffman + write) and load times of LeNet-300-100
#   bench/run.sh profile [wrap|direct]     per-batch phase timings of a Fit-like loop (diagnostic)
#   bench/run.sh demo [runs]               ./compresso demo end to end (needs ./compresso)
#   bench/run.sh kernel [launches] [warmup] [rounds] [session] [interrupts] [idle]  launch, round trips, first DSL cell, interrupt, RSS; ipykernel beside
#   bench/run.sh jshell                    JShell's own cost per cell in-process, keeping or dropping $N, and a profile
#   bench/run.sh runs [rows] [queries]     run store: recording a row, queries over 10,000 runs
#   bench/run.sh spark local|cluster       8-configuration sweep: sequential vs local[2]; per-task overhead on a standalone cluster
#   bench/run.sh resnet20 [batches] [epochs] [threads...]  resnet(20) epoch time vs the same net in python3-torch
#   bench/run.sh onnx-coverage [threads] [models]  every torchvision model in $TV_ONNX: import, params, diff vs ONNX Runtime
#   bench/run.sh resnet18 [runs]           import, prune+share+pack, load (0.27M/2.2M/11.7M params); export; ORT vs DJL latency
#   bench/run.sh shrink RATIO FILE.onnx...  find dependency groups + shrink(channels(RATIO)) time, params, MACs, shrunk model in ONNX Runtime
#   bench/run.sh repro [runs]              LeNet-300-100 training fingerprints under each CPU code-path setting, and the mode's speed cost
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
name="${1:?usage: bench/run.sh epoch|memory|engine|accuracy|pruning|pack|profile|demo|kernel|jshell|repro|runs|spark|resnet20|onnx-coverage|resnet18|shrink [args]}"
shift

build() {
  (cd "$root" && mvn -B -q -o compile -pl dsl,bench -am >"$here/target-build.log" 2>&1) \
    || { echo "build failed; see $here/target-build.log" >&2; exit 1; }
  if [[ ! -f "$here/target/classpath.txt" || "$root/dsl/pom.xml" -nt "$here/target/classpath.txt" || "$here/pom.xml" -nt "$here/target/classpath.txt" ]]; then
    (cd "$root" && mvn -B -q -o dependency:build-classpath -pl dsl -Dmdep.includeScope=runtime \
        -Dmdep.outputFile="$here/target/dsl-classpath.txt" >>"$here/target-build.log" 2>&1)
    simple="$(ls "$HOME"/.m2/repository/org/slf4j/slf4j-simple/2.0.17/slf4j-simple-2.0.17.jar)"
    echo "$(cat "$here/target/dsl-classpath.txt"):$simple" >"$here/target/classpath.txt"
  fi
  # A private copy of the compiled classes, so a concurrent build of dsl/ cannot change them mid-run.
  rm -rf "$here/target/run-classes" && mkdir -p "$here/target/run-classes"
  cp -r "$root/dsl/target/classes/." "$here/target/run-classes/"
  cp -r "$here/target/classes/." "$here/target/run-classes/"
  rm -f "$here/target-build.log"
  CP="$here/target/run-classes:$(cat "$here/target/classpath.txt")"
}

# torchvision models exported at opset 13 (tools/onnx/export_torchvision.py); exported here if missing.
TV_ONNX="${TV_ONNX:-/tmp/tv-onnx}"
tv_onnx() {  # tv_onnx [model,model,...]: exports the named models (all when none) that $TV_ONNX lacks
  local missing=()
  if [[ -n "${1:-}" ]]; then
    IFS=, read -ra want <<<"$1"
    for m in "${want[@]}"; do [[ -f "$TV_ONNX/$m.onnx" ]] || missing+=("$m"); done
    [[ ${#missing[@]} -eq 0 ]] && return 0
  elif compgen -G "$TV_ONNX/*.onnx" >/dev/null; then
    return 0
  fi
  local models=()
  [[ ${#missing[@]} -gt 0 ]] && models=(--models "$(IFS=,; echo "${missing[*]}")")
  echo "exporting torchvision models to $TV_ONNX (all 72: ~15 min on 2 cores; resnet18+mnasnet0_5: ~1 min)" >&2
  local t0=$SECONDS
  OMP_NUM_THREADS=1 /usr/bin/python3 "$root/tools/onnx/export_torchvision.py" "$TV_ONNX" --opset 13 --patch-aten-zero --resume "${models[@]}" >&2
  echo "export took $((SECONDS - t0)) s" >&2
}

blas_report() {  # which BLAS each side of a DJL-vs-python3-torch comparison uses
  local djl_dir; djl_dir="$(ls -d "$HOME"/.djl.ai/pytorch/*/ 2>/dev/null | head -1)"
  echo "== DJL side: libtorch extracted at ${djl_dir:-<not extracted yet>}"
  if [[ -n "$djl_dir" ]]; then
    echo "   shared libraries libtorch_cpu.so needs (no BLAS among them: oneMKL/oneDNN are linked in statically):"
    ldd "$djl_dir/libtorch_cpu.so" | awk '{print "     " $1}' | tr '\n' ' '; echo
    grep -a -q 'Intel(R) oneAPI Math Kernel Library' "$djl_dir/libtorch_cpu.so" && echo '   libtorch_cpu.so contains Intel(R) oneAPI Math Kernel Library (oneMKL, static) and oneDNN'
  fi
  echo "== PyTorch side: /usr/bin/python3, Debian python3-torch $(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null)"
  OMP_NUM_THREADS=1 /usr/bin/python3 -c 'import torch; print(torch.__config__.show())' | grep -E 'BLAS_INFO|MKL|CPU capability|OpenMP' | sed 's/^/   /; s/, CXX_COMPILER.*BLAS_INFO/ ... BLAS_INFO/; s/, BUILD_TYPE=[^,]*//; s/CXX_FLAGS.*//'
  local lib; lib="$(/usr/bin/python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib", "libtorch_cpu.so"))')"
  echo "   ldd $lib: $(ldd "$lib" | grep -Ei 'blas|lapack' | awk '{print $1 " -> " $3}' | tr '\n' ' ')"
  echo "   libblas.so.3 resolves to $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
  echo "   libopenblas0-pthread: $(dpkg-query -W -f='${Status} ${Version}' libopenblas0-pthread 2>/dev/null || echo 'NOT installed: apt-get install libopenblas0-pthread before comparing')"
  echo "   OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset>} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-<unset>}"
  echo "== CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), nproc $(nproc); $(date -u '+%F %T UTC'); load:$(uptime | sed 's/.*load average://')"
}

jvm() {
  java -Xmx${BENCH_XMX:-2g} -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dbench.dir="$here" -cp "$CP" "$@"
}

case "$name" in
  epoch)
    build
    COMPRESSO_THREADS=1 OMP_NUM_THREADS=1 jvm dev.compresso.bench.EpochVsPyTorch "${1:-3}" "${2:-3}" /usr/bin/python3 ;;
  memory)
    build
    COMPRESSO_THREADS="${COMPRESSO_THREADS:-1}" jvm dev.compresso.bench.MemoryBench "${1:-20}" ;;
  engine)
    build
    jvm dev.compresso.bench.EngineLoadDriver "${1:-7}" ;;
  accuracy)
    build
    COMPRESSO_THREADS="${COMPRESSO_THREADS:-1}" jvm dev.compresso.bench.AccuracyBench "${1:-10}" ;;
  pruning)
    build
    COMPRESSO_THREADS="${COMPRESSO_THREADS:-1}" jvm dev.compresso.bench.PruningBench "${1:-7}" "${2:-5}" ;;
  deployment)
    build
    jvm dev.compresso.bench.DeploymentBench "$@" ;;
  shrink)
    build
    COMPRESSO_THREADS="${COMPRESSO_THREADS:-1}" jvm dev.compresso.bench.ShrinkBench "$@" ;;
  pack)
    build
    COMPRESSO_THREADS="${COMPRESSO_THREADS:-1}" jvm dev.compresso.bench.PackBench "${1:-21}" "${2:-5}"
    for i in $(seq "${3:-3}"); do  # the file the run above wrote, loaded in fresh JVMs
      COMPRESSO_THREADS="${COMPRESSO_THREADS:-1}" jvm dev.compresso.bench.PackBench fresh "$here/target/pack-bench/lenet300100.cmpr"
    done ;;
  profile)
    build
    COMPRESSO_THREADS=1 jvm dev.compresso.bench.FitProfile "${1:-wrap}" ;;
  kernel)
    prefix="$(mktemp -d "${TMPDIR:-/tmp}/compresso-bench-kernel.XXXXXX")"
    trap 'rm -rf "$prefix"' EXIT
    "$root/compresso" install --prefix "$prefix" >/dev/null
    # the class-data archive of each JDK 21+ the script also measures, written now rather than in a timed launch
    for jdk in /usr/lib/jvm/*; do
      [[ -x "$jdk/bin/java" && ! -L "$jdk" ]] && JAVA_HOME="$jdk" "$root/compresso" help >/dev/null 2>&1
    done
    # PYDEVD_...: ipykernel's debugger warns about frozen modules on every start otherwise
    PYDEVD_DISABLE_FILE_VALIDATION=1 JUPYTER_PATH="$prefix/share/jupyter" /usr/bin/python3 -Xfrozen_modules=off "$here/kernel.py" "$@" ;;
  jshell)
    "$root/compresso" install --prefix "$(mktemp -d)" >/dev/null   # builds the kernel if needed
    java -cp "$(ls "$root"/kernel/target/compresso-kernel-*.jar):$root/kernel/target/lib/*" "$here/JShellEval.java" ;;
  repro)
    # Each setting as a separate ./compresso run (the native libraries read them once, as they load).
    # "full speed" is COMPRESSO_REPRODUCIBLE=0 with the CPU's own code paths; the others pin some.
    runs="${1:-1}"
    avx512_off="glibc.cpu.hwcaps=-AVX512F,-AVX512DQ,-AVX512CD,-AVX512BW,-AVX512VL"
    settings=(
      "full-speed|COMPRESSO_REPRODUCIBLE=0"
      "full-speed,ATen-avx2|COMPRESSO_REPRODUCIBLE=0 ATEN_CPU_CAPABILITY=avx2"
      "full-speed,ATen-avx512|COMPRESSO_REPRODUCIBLE=0 ATEN_CPU_CAPABILITY=avx512"
      "full-speed,oneMKL-AVX2|COMPRESSO_REPRODUCIBLE=0 MKL_CBWR=AVX2"
      "full-speed,oneMKL-AVX512|COMPRESSO_REPRODUCIBLE=0 MKL_CBWR=AVX512"
      "full-speed,oneDNN-AVX2|COMPRESSO_REPRODUCIBLE=0 ONEDNN_MAX_CPU_ISA=AVX2"
      "AVX2-paths-no-STRICT|COMPRESSO_REPRODUCIBLE=0 MKL_CBWR=AVX2 ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2"
      "reproducible|"
      "reproducible,glibc-AVX512-hidden|GLIBC_TUNABLES=$avx512_off"
      "reproducible,threads-1|COMPRESSO_THREADS=1"
      "reproducible,again|"
    )
    cd "$root"
    ./compresso install --prefix "$(mktemp -d)" >/dev/null   # builds if needed, not timed
    for r in $(seq "$runs"); do
      for s in "${settings[@]}"; do
        label="${s%%|*}"
        # shellcheck disable=SC2086
        line="$(env -u MKL_CBWR -u ONEDNN_MAX_CPU_ISA -u ATEN_CPU_CAPABILITY COMPRESSO_THREADS=2 ${s#*|}           ./compresso run "$here/repro.jsh" --out "$here/target/repro" 2>/dev/null | grep '^RESULT' || echo "RESULT failed")"
        printf '%-36s %s\n' "$label" "${line#RESULT }"
      done
    done ;;
  demo)
    runs="${1:-3}"
    [[ -x "$root/compresso" ]] || { echo "no ./compresso launcher yet" >&2; exit 1; }
    cd "$root"
    ./compresso demo >/dev/null  # first use builds; not timed
    if command -v hyperfine >/dev/null; then
      hyperfine --runs "$runs" './compresso demo'
    else
      for i in $(seq "$runs"); do /usr/bin/time -f "run $i: %e s wall, %M KiB max RSS" ./compresso demo >/dev/null; done
    fi ;;
  runs)
    build
    COMPRESSO_RUNS="$here/target/runstore-bench-log.db" jvm dev.compresso.bench.RunStoreBench "${1:-10000}" "${2:-21}" ;;
  spark)
    build
    # Spark's own jars and the spark module, with the --add-opens its launcher would add
    (cd "$root" && mvn -B -q -o package -Dmaven.test.skip=true -pl spark -am >/dev/null 2>&1) || { echo "spark build failed" >&2; exit 1; }
    opens=(-XX:+IgnoreUnrecognizedVMOptions)
    for p in java.lang java.lang.invoke java.lang.reflect java.io java.net java.nio java.util java.util.concurrent \
        java.util.concurrent.atomic jdk.internal.ref sun.nio.ch sun.nio.cs sun.security.action sun.util.calendar; do
      opens+=("--add-opens=java.base/$p=ALL-UNNAMED")
    done
    cd "$here"
    COMPRESSO_RUNS=off OMP_WAIT_POLICY=PASSIVE java -Xmx4g "${opens[@]}" -Djdk.reflect.useDirectMethodHandle=false \
      -Dio.netty.tryReflectionSetAccessible=true -Dai.djl.offline=true -Dai.djl.pytorch.num_interop_threads=1 \
      -cp "$CP:$root/spark/target/classes:$root/spark/target/spark-lib/*" \
      dev.compresso.bench.SparkBench "${1:-local}" ;;
  resnet20)
    build
    blas_report
    batches="${1:-100}"; epochs="${2:-4}"; shift $(( $# > 2 ? 2 : $# ))
    for t in "${@:-1 2}"; do
      for n in $t; do
        COMPRESSO_THREADS="$n" OMP_NUM_THREADS="$n" jvm dev.compresso.bench.ResNet20VsPyTorch "$batches" "$epochs" "$n" /usr/bin/python3
      done
    done ;;
  onnx-coverage)
    tv_onnx
    build
    COMPRESSO_THREADS="${1:-2}" BENCH_XMX="${BENCH_XMX:-8g}" jvm dev.compresso.bench.OnnxCoverage "$TV_ONNX" "${1:-2}" "${2:-}" ;;
  resnet18)
    tv_onnx resnet18,mnasnet0_5
    build
    COMPRESSO_THREADS="${COMPRESSO_THREADS:-1}" BENCH_XMX="${BENCH_XMX:-4g}" jvm dev.compresso.bench.ResNet18Bench "$TV_ONNX" "${1:-5}" ;;
  *) echo "unknown benchmark '$name'; use epoch, memory, engine, accuracy, pruning, pack, profile, demo, kernel, jshell, repro, runs, spark, resnet20, onnx-coverage or resnet18" >&2; exit 2 ;;
esac
