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
#   bench/run.sh kernel [launches] [warmup] [rounds] [session] [interrupts]  launch, round trips, first DSL cell, interrupt; ipykernel beside
#   bench/run.sh jshell                    JShell's own cost per cell in-process, keeping or dropping $N, and a profile
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
name="${1:?usage: bench/run.sh epoch|memory|engine|accuracy|pruning|pack|profile|demo|kernel|jshell [args]}"
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

jvm() {
  java -Xmx2g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dbench.dir="$here" -cp "$CP" "$@"
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
    # PYDEVD_...: ipykernel's debugger warns about frozen modules on every start otherwise
    PYDEVD_DISABLE_FILE_VALIDATION=1 JUPYTER_PATH="$prefix/share/jupyter" /usr/bin/python3 -Xfrozen_modules=off "$here/kernel.py" "$@" ;;
  jshell)
    "$root/compresso" install --prefix "$(mktemp -d)" >/dev/null   # builds the kernel if needed
    java -cp "$(ls "$root"/kernel/target/compresso-kernel-*.jar):$root/kernel/target/lib/*" "$here/JShellEval.java" ;;
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
  *) echo "unknown benchmark '$name'; use epoch, memory, engine, accuracy, pruning, pack, profile, demo, kernel or jshell" >&2; exit 2 ;;
esac
