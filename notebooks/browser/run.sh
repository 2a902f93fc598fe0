#!/usr/bin/env bash
# Browser check (issue 7, item 6): opens a notebook in Debian's jupyter-notebook with Debian's headless
# Chromium driven by Playwright, runs all cells, fails on any error output or when no chart appears,
# and keeps a screenshot.
#
#   notebooks/browser/run.sh [NOTEBOOK.ipynb]        default: notebooks/00-tour.ipynb
#
# Needs the Debian packages jupyter-notebook and chromium, plus node >= 20 and npm (playwright-core
# comes from npm with `npm ci`; Playwright never downloads a browser here).
# Environment: COMPRESSO_BROWSER_OUT    where screenshots go (default out/ci at the repository root)
#              COMPRESSO_BROWSER_TIMEOUT seconds allowed for the whole check in the browser (default 300)
# Writes OUT/browser-NAME.png (the whole notebook) and OUT/browser-NAME-chart.png (the first chart),
# and prints their paths. Exits non-zero on any failure; the server and its kernel are always stopped.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
NOTEBOOK="$(realpath "${1:-$ROOT/notebooks/00-tour.ipynb}")"
OUT="${COMPRESSO_BROWSER_OUT:-$ROOT/out/ci}"
TIMEOUT="${COMPRESSO_BROWSER_TIMEOUT:-300}"
CHROMIUM=/usr/bin/chromium
NOTEBOOK_SERVER=/usr/bin/jupyter-notebook
NAME="$(basename "$NOTEBOOK" .ipynb)"

say() { echo "browser-check: $*" >&2; }
[[ -f "$NOTEBOOK" ]] || { say "no notebook at $NOTEBOOK"; exit 2; }
for tool in "$CHROMIUM" "$NOTEBOOK_SERVER"; do
  [[ -x "$tool" ]] || { say "$tool is missing; install the Debian packages: apt-get install chromium jupyter-notebook"; exit 1; }
done
command -v node >/dev/null && command -v npm >/dev/null || { say "node >= 20 and npm are needed"; exit 1; }

START=$(date +%s)
(cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

TMP="$(mktemp -d "${TMPDIR:-/tmp}/compresso-browser.XXXXXX")"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true      # the server shuts its kernels down on SIGTERM
    for _ in $(seq 1 30); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  # A kernel still alive has its connection file under our runtime dir: stop it by its pid.
  local pids
  pids="$(pgrep -f -- "$TMP/runtime/" || true)"
  [[ -n "$pids" ]] && { say "stopping leftover kernel process(es) $pids"; kill -KILL $pids 2>/dev/null || true; }
  if [[ $rc -ne 0 && -s "$TMP/server.log" ]]; then
    say "last lines of the notebook server's log:"; tail -n 30 "$TMP/server.log" >&2
  fi
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The kernelspec goes into a temporary prefix; the server sees only that and Debian's own dirs.
"$ROOT/compresso" install --prefix "$TMP/prefix" >&2
mkdir -p "$TMP/notebooks" "$TMP/data" "$TMP/config" "$TMP/runtime" "$OUT"
cp "$NOTEBOOK" "$TMP/notebooks/"

PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
TOKEN="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export JUPYTER_PATH="$TMP/prefix/share/jupyter" JUPYTER_DATA_DIR="$TMP/data" \
       JUPYTER_CONFIG_DIR="$TMP/config" JUPYTER_RUNTIME_DIR="$TMP/runtime" IPYTHONDIR="$TMP/ipython"
export COMPRESSO_THREADS="${COMPRESSO_THREADS:-1}"   # as notebooks/check.py: the notebooks assume one thread
ROOT_FLAG=(); [[ "$(id -u)" -eq 0 ]] && ROOT_FLAG=(--allow-root)
"$NOTEBOOK_SERVER" --no-browser --ip=127.0.0.1 --port="$PORT" --port-retries=0 \
  --notebook-dir="$TMP/notebooks" --NotebookApp.token="$TOKEN" --NotebookApp.password='' \
  --NotebookApp.open_browser=False "${ROOT_FLAG[@]}" >"$TMP/server.log" 2>&1 &
SERVER_PID=$!

# Wait (at most 60 s) for the server to answer.
for i in $(seq 1 120); do
  if node -e 'fetch(process.argv[1], {headers: {Authorization: "token " + process.argv[2]}}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
       "http://127.0.0.1:$PORT/api/status" "$TOKEN"; then break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || { say "the notebook server exited"; exit 1; }
  [[ $i -eq 120 ]] && { say "the notebook server did not answer on 127.0.0.1:$PORT within 60 s"; exit 1; }
  sleep 0.5
done
say "jupyter-notebook $(dpkg-query -W -f='${Version}' python3-notebook 2>/dev/null || echo '?') on 127.0.0.1:$PORT, $NAME.ipynb"

status=0
node "$HERE/check.mjs" --base "http://127.0.0.1:$PORT/" --token "$TOKEN" --notebook "$NAME.ipynb" \
  --screenshot "$OUT/browser-$NAME.png" --timeout "$TIMEOUT" --chromium "$CHROMIUM" || status=$?
say "$NAME: $([[ $status -eq 0 ]] && echo passed || echo FAILED) in $(( $(date +%s) - START )) s; screenshot $OUT/browser-$NAME.png"
exit $status
