#!/usr/bin/env bash
# Load and live-reload figures for `kbsite serve`, on a ~1,000-article site.
#
#   bench/serve_load.sh            # PAGES=1000 DURATION=10 CONNECTIONS=64 THREADS=2
#
# 1. Builds the release binary and a site of $PAGES KB articles in bench/out/serve-site (copied
#    from ../shared/kbarchive-sample when present, synthetic otherwise).
# 2. Starts `kbsite serve --port 0` on 127.0.0.1 and runs wrk against it: one article page, then
#    every article in turn (a Lua script rotates the URLs). Target: >= 10,000 requests/s, 0 errors.
# 3. Measures save → `reload` event: rewrites one article $EDITS times and times each event on
#    the /__kbsite/events stream.
# All traffic stays on the loopback interface; every step is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

PAGES=${PAGES:-1000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
EDITS=${EDITS:-5}
OUT=${OUT:-bench/out}  # put it on tmpfs (OUT=/dev/shm/…) to leave the disk out of the figures
SITE=$OUT/serve-site
SAMPLE=../shared/kbarchive-sample/site/kb

if ! command -v wrk >/dev/null; then
    echo "installing wrk (Debian package)…" >&2
    apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

cargo build --release --quiet
BIN=$PWD/target/release/kbsite

# --- the site -------------------------------------------------------------------------------
rm -rf "$SITE" "$SITE".kbsite-*
mkdir -p "$SITE/content/kb"
cat >"$SITE/site.toml" <<'TOML'
title = "KnowledgeBase Archive (bench)"
url = "https://example.github.io"
baseurl = "/kbarchive"
source = "content"
output = "public"

[[defaults]]
scope = { path = "kb" }
values = { layout = "page" }
TOML
if [ -d "$SAMPLE" ]; then
    find "$SAMPLE" -name README.md | sort >"$OUT/sample.txt"
    head -n "$PAGES" "$OUT/sample.txt" | while read -r f; do
        rel=${f#"$SAMPLE"/}
        mkdir -p "$SITE/content/kb/$(dirname "$rel")"
        cp "$f" "$SITE/content/kb/$rel"
    done
    origin="articles from the kbarchive sample"
else
    body=$(printf '\tSYMPTOMS\n\t========\n\n\tWhen you print an EPS file the output is wrong. %.0s' $(seq 1 40))
    for i in $(seq 1 "$PAGES"); do
        n=$((100000 + i)); dir="$SITE/content/kb/${n:0:3}/Q$n"
        mkdir -p "$dir"
        printf -- '---\ntitle: "Q%s: Synthetic article %s"\npermalink: /kb/%s/Q%s/\n---\n\n## Q%s\n\n{%% raw %%}\n\n\tArticle: Q%s\n%s\n\n{%% endraw %%}\n' \
            "$n" "$i" "${n:0:3}" "$n" "$n" "$n" "$body" >"$dir/README.md"
    done
    origin="synthetic articles"
fi
count=$(find "$SITE/content/kb" -name README.md | wc -l)
echo "site: $count $origin in $SITE"

# --- the server -----------------------------------------------------------------------------
LOG=$OUT/serve.log
"$BIN" serve --root "$SITE" --port 0 >"$LOG" 2>&1 &
SERVER=$!
EVENTS=""
cleanup() {
    [ -n "$EVENTS" ] && kill "$EVENTS" 2>/dev/null || true
    kill -INT "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 600); do
    grep -q '^serving ' "$LOG" && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$LOG"; exit 1; }
    sleep 0.1
done
URL=$(sed -n 's/^serving \([^ ]*\).*/\1/p' "$LOG")
[ -n "$URL" ] || { echo "server did not start"; cat "$LOG"; exit 1; }
grep -E '^built' "$LOG" || true
ORIGIN=${URL%/kbarchive/}
echo "serving $URL"

# Article URLs from the built site.
find "$SITE/public/kb" -name index.html | sed "s|^$SITE/public||; s|index.html\$||" | sort >"$OUT/urls.txt"
ARTICLE=$(head -n 1 "$OUT/urls.txt")
curl -sf -o /dev/null "$ORIGIN/kbarchive$ARTICLE" || { echo "cannot fetch $ARTICLE"; exit 1; }
SIZE=$(curl -s "$ORIGIN/kbarchive$ARTICLE" | wc -c)

# --- throughput -----------------------------------------------------------------------------
cat >"$OUT/rotate.lua" <<LUA
local urls = {}
for line in io.lines("$OUT/urls.txt") do urls[#urls + 1] = "/kbarchive" .. line end
local i = 0
request = function()
  i = i % #urls + 1
  return wrk.format("GET", urls[i])
end
LUA
run_wrk() {  # label, extra wrk args…
    local label=$1; shift
    echo
    echo "== $label (wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 5s --latency "$@" | tee "$OUT/wrk.txt" |
        grep -E 'Requests/sec|Transfer/sec|Non-2xx|Socket errors|requests in|Latency  |  50%|  99%'
    if grep -qE 'Non-2xx|Socket errors' "$OUT/wrk.txt"; then echo "ERRORS: see above"; fi
}
run_wrk "one article page ($SIZE bytes): $ARTICLE" "$ORIGIN/kbarchive$ARTICLE"
run_wrk "all $count article pages in turn" -s "$OUT/rotate.lua" "$ORIGIN"

# --- save → reload --------------------------------------------------------------------------
echo
echo "== save → reload event ($EDITS edits of one article, $count-page site, incremental rebuilds)"
EVLOG=$OUT/events.log
: >"$EVLOG"
curl -sN --max-time $((EDITS * 30 + 10)) "$ORIGIN/__kbsite/events" |
    while IFS= read -r line; do echo "$(date +%s%N) $line"; done >"$EVLOG" &
EVENTS=$!
for _ in $(seq 1 100); do grep -q 'event: hello' "$EVLOG" && break; sleep 0.05; done
find "$SITE/content/kb" -name README.md | sort >"$OUT/sources.txt"
SRC=$(head -n 1 "$OUT/sources.txt")
times=()
for i in $(seq 1 "$EDITS"); do
    before=$(grep -c 'event: reload' "$EVLOG" || true)
    sleep 0.3
    t0=$(date +%s%N)
    printf '\nEdit %s for the reload benchmark.\n' "$i" >>"$SRC"
    for _ in $(seq 1 600); do
        [ "$(grep -c 'event: reload' "$EVLOG" || true)" -gt "$before" ] && break
        sleep 0.01
    done
    t1=$(grep 'event: reload' "$EVLOG" | sed -n "$((before + 1))p" | cut -d' ' -f1)
    [ -n "$t1" ] || { echo "no reload event for edit $i"; exit 1; }
    ms=$(((t1 - t0) / 1000000))
    times+=("$ms")
    echo "edit $i: ${ms} ms"
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "save → reload: min $(echo "$sorted" | head -n1) ms, median $(echo "$sorted" | sed -n "$(((EDITS + 1) / 2))p") ms, max $(echo "$sorted" | tail -n1) ms"
grep -E '^rebuilt' "$LOG" | tail -n 3
