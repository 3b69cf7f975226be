#!/usr/bin/env bash
# bench/scale.sh — does a build's cost grow linearly? Times fresh builds of N and 2N articles
# (the issue's target: 120,000 articles in at most 2.2 × the time of 60,000) and, for each
# output, the floor (`kbfloor --like`: the same files and bytes written with no rendering), so
# the build's growth can be set against what the file system's own growth is.
#
# Usage (from anywhere; the script works from the repo root):
#
#   bench/scale.sh                 # 60,000 and 120,000 articles, 2 alternating rounds, on the disk
#   N=2000 ROUNDS=1 bench/scale.sh # quicker
#   RAM=1 bench/scale.sh           # each run on a fresh ext4 in RAM (bench/ram-ext4.sh; root)
#
# Environment: N (default 60000), SEED (1), ROUNDS (2), RAM (unset: bench/out/scale on the disk),
# SETTLE (480: seconds since the last deletion of old runs before timing on the disk; see
# bench/settle.sh).
# Corpora are generated once by kbgen (bench/out/corpus-<N>, shared with bench/run.sh). Each
# timed run writes into a fresh folder; on the disk they are deleted only after the last run
# (ext4 creates files slowly for a while after many were deleted). Inputs are warmed before each
# build. Prints one line per run and the ratios 2N / N of the medians.

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
source bench/settle.sh

N=${N:-60000}
SEED=${SEED:-1}
ROUNDS=${ROUNDS:-2}
BIN=target/release
OUT=bench/out
RUNS=$OUT/scale

label() { if (( $1 % 1000 == 0 )); then echo "$(($1 / 1000))k"; else echo "$1"; fi; }
warn() { printf '!! %s\n' "$*" >&2; }

cargo build --release --quiet || { warn "cargo build --release failed"; exit 1; }
[[ -x /usr/bin/time ]] || { warn "GNU time (/usr/bin/time) is needed: apt-get install time"; exit 1; }

sizes=("$N" "$((2 * N))")
for n in "${sizes[@]}"; do
    corpus=$OUT/corpus-$(label "$n")
    if [[ ! -d $corpus ]]; then
        rm -rf "$corpus.tmp"
        "$BIN/kbgen" --articles "$n" --seed "$SEED" --format kbsite --out "$corpus.tmp" && mv "$corpus.tmp" "$corpus" ||
            { warn "kbgen failed for $n articles"; exit 1; }
    fi
done

if [[ -d $RUNS ]]; then
    mv "$RUNS" "$RUNS.old.$$"
fi
mkdir -p "$RUNS"
results=$RUNS/results.txt
[[ -z ${RAM:-} ]] && settle  # the RAM file systems are fresh; before warming (pages idle ~1 min are evicted)

# run NAME OUTPUT CMD…: one timed run writing into OUTPUT (a fresh folder, or $OUT of a fresh
# RAM file system with RAM=1); appends "NAME wall user sys rss_kb" to $results.
run() {
    local name=$1 output=$2
    shift 2
    local line
    if [[ -n ${RAM:-} ]]; then
        # bench/ram-ext4.sh gives the command $OUT; the output folder is a subfolder of it.
        line=$(SIZE=${SIZE:-16G} bench/ram-ext4.sh "$name" "$* \$OUT/site" 2>&1 | tail -1)
        awk -v n="$name" '{ for (i = 1; i <= NF; i++) if ($i == "wall,") w = $(i - 2); else if ($i == "user") u = $(i + 1); else if ($i == "system") s = $(i + 1); else if ($i == "RSS") r = $(i + 1) }
            END { printf "%s %s %s %s %s\n", n, w, u, s, r }' <<<"$line" >>"$results"
    else
        sync # nothing of the last run left to write back during this one (see bench/run.sh's `timed`)
        /usr/bin/time -f "$name %e %U %S %M" -o "$RUNS/$name.time" "$@" "$output" >"$RUNS/$name.log" 2>&1 ||
            { warn "$name failed: see $RUNS/$name.log"; return 1; }
        cat "$RUNS/$name.time" >>"$results"
    fi
    tail -1 "$results" | awk '{ printf "%-16s %7.2f s wall, user %6.2f s, system %6.2f s, peak %5.0f MB\n", $1, $2, $3, $4, $5 / 1024 }'
}

for round in $(seq 1 "$ROUNDS"); do
    for n in "${sizes[@]}"; do
        l=$(label "$n")
        corpus=$OUT/corpus-$l
        find "$corpus" -type f -print0 | xargs -0 cat >/dev/null
        run "build-$l-$round" "$RUNS/build-$l-$round" "$BIN/kbsite" build --root "$corpus" -q --output
    done
done

# The floors: each size's output, as the build wrote it, is the model (a build on RAM wrote
# into a file system that is gone: the model is then a build into a folder on tmpfs).
for n in "${sizes[@]}"; do
    l=$(label "$n")
    model=$RUNS/build-$l-1
    if [[ -n ${RAM:-} ]]; then
        model=/dev/shm/kbsite-scale-model-$l
        rm -rf "$model"
        "$BIN/kbsite" build --root "$OUT/corpus-$l" -q --output "$model"
    fi
    for round in $(seq 1 "$ROUNDS"); do
        run "floor-$l-$round" "$RUNS/floor-$l-$round" "$BIN/kbfloor" --like "$model" --out
    done
done
[[ -n ${RAM:-} ]] && rm -rf /dev/shm/kbsite-scale-model-*

echo
awk -v a="$(label "${sizes[0]}")" -v b="$(label "${sizes[1]}")" '
    { split($1, p, "-"); kind = p[1]; size = p[2]; key = kind "-" size; n[key]++; w[key, n[key]] = $2; cpu[key, n[key]] = $3 + $4 }
    function median(key, arr,    m, i, j, t, v) {
        m = n[key]; for (i = 1; i <= m; i++) v[i] = arr[key, i]
        for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    END {
        for (k = 1; k <= 2; k++) {
            kind = k == 1 ? "build" : "floor"
            if (!n[kind "-" a] || !n[kind "-" b]) { printf "%s: a run is missing\n", kind; continue }
            wa = median(kind "-" a, w); wb = median(kind "-" b, w); ca = median(kind "-" a, cpu); cb = median(kind "-" b, cpu)
            printf "%s %s / %s: wall %.2f / %.2f s = %.2fx, CPU %.2f / %.2f s = %.2fx\n", kind, b, a, wb, wa, wb / wa, cb, ca, cb / ca
        }
    }' "$results"
echo "(target: build ${sizes[1]} articles within 2.2x the time of ${sizes[0]}; runs in $RUNS)"

# Delete the old runs only now, in the background (see above).
for old in "$RUNS".old.*; do
    [[ -d $old ]] && ( (rm -rf "$old" && mark_deleted) &)
done
exit 0
