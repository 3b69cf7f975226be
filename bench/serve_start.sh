#!/usr/bin/env bash
# Start-up figures for `kbsite serve` on a generated archive: a first start on an empty output
# folder, then RESTARTS starts on the output the previous one left (what a user restarting the
# preview gets: pages whose inputs did not change are kept).
#
#   bench/serve_start.sh                      # N=60000 RESTARTS=2, output under bench/out
#   OUT=/dev/shm/kbsite-serve bench/serve_start.sh   # output on tmpfs: the disk left out
#   BIN=/tmp/kbsite-old bench/serve_start.sh  # another kbsite binary (A/B against this checkout's)
#   AFTER_BUILD=1 bench/serve_start.sh        # the first start follows a `kbsite build` of the output
#
# For each start: seconds until `serving` is printed, the build's own time and what it kept (from
# serve's first line), and the process's peak memory and CPU once the search index is done
# (SETTLE seconds after `serving`). All traffic stays on 127.0.0.1; every step is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-60000}
RESTARTS=${RESTARTS:-2}
SETTLE=${SETTLE:-10}
PORT=${PORT:-4190}
OUT=${OUT:-$PWD/bench/out/serve-start}
if (( N % 1000 == 0 )); then LABEL="$((N / 1000))k"; else LABEL="$N"; fi
CORPUS=$PWD/bench/out/corpus-$LABEL

cargo build --release --quiet --bin kbsite --bin kbgen
BIN=${BIN:-$PWD/target/release/kbsite}
[[ -d $CORPUS/content ]] || target/release/kbgen --articles "$N" --out "$CORPUS"

# A site folder of its own whose sources are the corpus's, so the corpus's output is untouched.
rm -rf "$OUT"
mkdir -p "$OUT"
sed -e "s#^source = .*#source = \"$CORPUS/content\"#" -e "s#^output = .*#output = \"$OUT/public\"#" \
    "$CORPUS/site.toml" >"$OUT/site.toml"
find "$CORPUS/content" -type f -exec cat {} + >/dev/null # warm inputs: time the start, not the disk

start() {
    local label=$1 log=$OUT/serve.log
    sync
    local t0 t1 pid
    t0=$(date +%s.%N)
    timeout 300 "$BIN" serve --root "$OUT" --port "$PORT" >"$log" 2>&1 &
    for _ in $(seq 1 3000); do grep -q '^serving' "$log" && break; sleep 0.05; done
    t1=$(date +%s.%N)
    grep -q '^serving' "$log" || { echo "$label: serve did not start" >&2; cat "$log" >&2; exit 1; }
    sleep "$SETTLE"
    pid=$(pgrep -f -n "$BIN serve --root $OUT") || true
    local mem=? cpu=?
    if [[ -n $pid ]]; then
        mem=$(awk '/^VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$pid/status")
        cpu=$(awk '{ printf "user %.1f s, system %.1f s", $14 / 100, $15 / 100 }' "/proc/$pid/stat")
        kill "$pid"
    fi
    wait || true
    printf '%-10s serving after %6.2f s | %s | peak %s, %s\n' "$label" "$(echo "$t1 - $t0" | bc)" \
        "$(head -1 "$log")" "$mem" "$cpu"
}

echo "kbsite serve, $N articles, output $OUT/public"
if [[ ${AFTER_BUILD:-0} == 1 ]]; then
    sync
    /usr/bin/time -f 'kbsite build first: %e s wall, peak %M KB' "$BIN" build --root "$OUT" --quiet
fi
start first
for i in $(seq 1 "$RESTARTS"); do start "restart $i"; done
