#!/usr/bin/env bash
# Incremental rebuild figures for `kbsite serve` on a generated archive.
#
#   bench/incremental.sh                 # N=60000 ROUNDS=5
#   N=5000 ROUNDS=3 bench/incremental.sh
#   SERVE=1 bench/incremental.sh         # also time save → reload event through a real server
#
# 1. Builds the release binaries and generates bench/out/corpus-<N> with kbgen (reused if present).
# 2. Runs examples/incremental_bench on it, through the rebuild function serve uses: the full
#    build, then ROUNDS times each (on different articles): edit one article's text, change one
#    article's product, edit templates/page.html. Every edit is undone at the end.
# Output: one line per rebuild (time to the reload event, search index rebuild after it, outputs
# written, time per stage), then medians. Timings on a shared machine are noisy: compare medians.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-60000}
ROUNDS=${ROUNDS:-5}
if (( N % 1000 == 0 )); then LABEL="$((N / 1000))k"; else LABEL="$N"; fi
CORPUS=bench/out/corpus-$LABEL

cargo build --release --quiet --bin kbgen --example incremental_bench
[[ -d $CORPUS/content ]] || target/release/kbgen --articles "$N" --out "$CORPUS"
ARGS=("$CORPUS" --rounds "$ROUNDS")
[[ -n ${SERVE:-} ]] && ARGS+=(--serve)
[[ -n ${NO_TEMPLATE:-} ]] && ARGS+=(--no-template)
exec target/release/examples/incremental_bench "${ARGS[@]}"
