#!/usr/bin/env bash
# bench/run.sh — time a kbsite build against Hugo and against the disk floor.
#
# Usage (from anywhere; the script works from the repo root):
#
#   bench/run.sh                      # 60,000-article corpus (bench/out/corpus-60k)
#   N=2000 bench/run.sh               # smaller corpus (bench/out/corpus-2k)
#
# Environment:
#   N=60000        articles in the synthetic corpus
#   SEED=1         kbgen seed
#   SKIP_HUGO=1    skip the Hugo run;  SKIP_SAMPLE=1  skip the real-sample run
#   SKIP_COLD=1    skip the cold-input runs (they need root to drop the page cache)
#   SAMPLE=DIR     the real archive sample (default ../shared/kbarchive-sample/site)
#   SETTLE=480     seconds to let pass after this script last deleted outputs before timing
#                  (bench/settle.sh says why); 0 skips the wait
#   ROUNDS=3       fresh kbsite / Hugo / floor trios in all (step 7b); the ratios are medians
#                  over the rounds, since this machine's speed drifts within minutes
#
# Steps:
#   1. cargo build --release (kbsite, kbgen, kbfloor);
#   2. generate the corpus once: bench/out/corpus-<N> (kbsite/Jekyll format) and
#      bench/out/hugo-<N> (Hugo format); existing corpora are reused;
#   3. move the old timed outputs (bench/out/runs) aside, warm all inputs;
#   4. /usr/bin/time -v a full `kbsite build --root CORPUS --output FRESH --quiet`
#      and two more builds over that existing output (the third reuses the
#      folder the second kept aside: the steady state, which keeps every output
#      made from unchanged inputs); then one with an article's text edited, and
#      one with `--full` (every page rendered again);
#   5. kbfloor: write the same files/sizes as the kbsite output (or, if kbsite
#      produced nothing, as the Hugo output) into a fresh folder — the disk floor;
#      both of its ways of making folders (`--folders threads`, `levels`) are
#      timed, and the faster is the floor;
#   6. `hugo --quiet -s bench/out/hugo-<N> -d FRESH` (Debian package `hugo`,
#      installed with apt-get if missing), checked for one page per article;
#   7. kbsite on a copy of the real sample (bench/out/sample, plus a site.toml);
#  7b. ROUNDS-1 more rounds of a fresh kbsite build, Hugo and the floor (folders on
#      threads) of that build, one right after the other, so each round's ratios
#      compare runs made within a minute of each other;
#   8. as root: kbsite and Hugo again, each after dropping the page cache (cold
#      inputs: how a build starts on a machine that evicts idle file pages);
#   9. a table: wall s, CPU s (user+sys), peak RSS MB, output files, output MB,
#      and the ratios kbsite/hugo and kbsite/floor, per round and their medians.
#
# Every timed run writes into its own fresh folder under bench/out/runs/ (the old
# ones are deleted after the timed runs: this disk is slow at creating files right
# after deleting many). A failing step is reported and the script continues.
# Logs and /usr/bin/time reports: bench/out/runs/<name>.log / <name>.time;
# the table is also saved as bench/out/runs/results.tsv.

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$(pwd)
source bench/settle.sh

N=${N:-60000}
SEED=${SEED:-1}
SAMPLE=${SAMPLE:-../shared/kbarchive-sample/site}
if (( N % 1000 == 0 )); then LABEL="$((N / 1000))k"; else LABEL="$N"; fi

OUT=bench/out
CORPUS=$OUT/corpus-$LABEL
HUGO_SRC=$OUT/hugo-$LABEL
SAMPLE_COPY=$OUT/sample
RUNS=$OUT/runs
BIN=target/release

say() { printf '\n== %s\n' "$*"; }
warn() { printf '!! %s\n' "$*" >&2; }

# ---------------------------------------------------------------- 1. build
say "cargo build --release"
if ! cargo build --release; then
    warn "cargo build --release failed"
    exit 1
fi
for b in kbgen kbfloor; do
    [[ -x $BIN/$b ]] || { warn "missing $BIN/$b"; exit 1; }
done

# apt_install PKG: install a Debian package; if apt refuses because of an
# interrupted earlier upgrade, let `apt-get -f install` complete it and retry.
apt_install() {
    apt-get update -qq
    if ! apt-get install -y -qq --no-install-recommends "$1" >/dev/null; then
        warn "apt-get install $1 failed; running apt-get --fix-broken install and retrying"
        apt-get install -y -qq --fix-broken >/dev/null &&
            apt-get install -y -qq --no-install-recommends "$1" >/dev/null
    fi
}

if [[ ! -x /usr/bin/time ]]; then
    say "installing GNU time"
    apt_install time
fi

# ---------------------------------------------------------------- 2. corpora
mkdir -p "$OUT"
gen() { # format dir
    local format=$1 dir=$2
    if [[ -d $dir ]]; then
        echo "reusing $dir"
        return 0
    fi
    rm -rf "$dir.tmp"
    if "$BIN/kbgen" --articles "$N" --seed "$SEED" --format "$format" --out "$dir.tmp"; then
        mv "$dir.tmp" "$dir"
    else
        warn "kbgen --format $format failed"
        return 1
    fi
}
say "corpus: $N articles (seed $SEED)"
gen kbsite "$CORPUS" || exit 1
gen hugo "$HUGO_SRC" || exit 1

HAVE_SAMPLE=0
if [[ -z ${SKIP_SAMPLE:-} && -d $SAMPLE ]]; then
    HAVE_SAMPLE=1
    if [[ ! -f $SAMPLE_COPY/site.toml ]]; then
        rm -rf "$SAMPLE_COPY"
        cp -r "$SAMPLE" "$SAMPLE_COPY" && chmod -R u+w "$SAMPLE_COPY"
        cp bench/sample-site.toml "$SAMPLE_COPY/site.toml"
        echo "copied $SAMPLE to $SAMPLE_COPY (+ site.toml)"
    else
        echo "reusing $SAMPLE_COPY"
    fi
fi

# ---------------------------------------------------------------- 3. clean + warm
# The previous run's outputs are moved aside and deleted only after the timed runs: ext4 creates
# files slowly for a while after many were deleted, which would tax the first build here.
say "moving old outputs aside, warming inputs"
OLD_RUNS=
if [[ -d $RUNS ]]; then
    OLD_RUNS=$RUNS.old.$$
    mv "$RUNS" "$OLD_RUNS"
fi
mkdir -p "$RUNS"
settle  # before warming: idle file pages are evicted after about a minute
warm_dirs=("$CORPUS" "$HUGO_SRC")
(( HAVE_SAMPLE )) && warm_dirs+=("$SAMPLE_COPY")
find "${warm_dirs[@]}" -type f -print0 | xargs -0 cat >/dev/null
for b in kbsite kbgen kbfloor; do [[ -f $BIN/$b ]] && cat "$BIN/$b" >/dev/null; done

# ---------------------------------------------------------------- timing helpers
# Results: one line per run in $RUNS/results.raw:
#   name status wall cpu rss_mb files mb
count_files() { [[ -d $1 ]] && find "$1" -type f | wc -l || echo 0; }
count_bytes() {
    [[ -d $1 ]] && find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}' || echo 0
}
time_field() { # file label
    grep -F "$2" "$1" 2>/dev/null | head -1 | awk -F': ' '{print $NF}'
}
wall_seconds() { # "h:mm:ss" or "m:ss.xx"
    awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else if (NF == 2) print $1 * 60 + $2; else print $1 }' <<<"$1"
}

# timed NAME OUTDIR CMD... — runs CMD under /usr/bin/time -v, records a row.
timed() {
    local name=$1 outdir=$2
    shift 2
    local tf=$RUNS/$name.time log=$RUNS/$name.log
    echo "\$ $*"
    # Each run starts with nothing left to write back: a 60k build leaves ~1.3 GB of dirty pages,
    # which the kernel writes back 30 s later (vm.dirty_expire_centisecs), in the middle of the
    # next timed run (a floor once took 95 s of wall time for 14 s of CPU that way).
    sync
    /usr/bin/time -v -o "$tf" "$@" >"$log" 2>&1
    local rc=$?
    local wall user sys rss files bytes status
    wall=$(wall_seconds "$(time_field "$tf" 'Elapsed (wall clock)')")
    user=$(time_field "$tf" 'User time (seconds)')
    sys=$(time_field "$tf" 'System time (seconds)')
    rss=$(time_field "$tf" 'Maximum resident set size')
    files=$(count_files "$outdir")
    bytes=$(count_bytes "$outdir")
    status=ok
    if (( rc != 0 )); then
        status="FAILED(rc=$rc)"
    elif (( files == 0 )); then
        status="FAILED(no-output)"
    fi
    if [[ $status != ok ]]; then
        warn "$name: $status — see $log"
        tail -5 "$log" | sed 's/^/   | /' >&2
    fi
    awk -v n="$name" -v s="$status" -v w="${wall:-0}" -v u="${user:-0}" -v y="${sys:-0}" \
        -v r="${rss:-0}" -v f="$files" -v b="$bytes" \
        'BEGIN { printf "%s %s %.2f %.2f %.1f %d %.1f\n", n, s, w, u + y, r / 1024, f, b / 1e6 }' \
        >>"$RUNS/results.raw"
    printf '   %s: %s, wall %.2f s, %s files\n' "$name" "$status" "${wall:-0}" "$files"
    return $rc
}

# ---------------------------------------------------------------- 4. kbsite
KBSITE_OK=0
say "kbsite build ($CORPUS)"
if [[ -x $BIN/kbsite ]]; then
    timed kbsite "$RUNS/kbsite" "$BIN/kbsite" build --root "$CORPUS" --output "$RUNS/kbsite" --quiet
    if [[ $(count_files "$RUNS/kbsite") -gt 0 ]]; then
        KBSITE_OK=1
        # The second build stages into a new folder (there is no previous site to reuse yet) and
        # keeps the first aside; the third reuses that one: the steady state of repeated builds.
        timed kbsite-rebuild "$RUNS/kbsite" "$BIN/kbsite" build --root "$CORPUS" --output "$RUNS/kbsite" --quiet
        timed kbsite-rebuild-2 "$RUNS/kbsite" "$BIN/kbsite" build --root "$CORPUS" --output "$RUNS/kbsite" --quiet
        # The steady state keeps every output made from unchanged inputs. Two more: one article's
        # text edited (that page and the search index made again), and `--full` (every page
        # rendered again; files whose bytes did not change are still not rewritten).
        EDITED=$(find "$CORPUS/content/kb" -name README.md | sort | head -1)
        if [[ -f $EDITED ]]; then
            cp "$EDITED" "$RUNS/edited.orig"
            printf '\nA sentence added by bench/run.sh.\n' >>"$EDITED"
            timed kbsite-rebuild-edit "$RUNS/kbsite" "$BIN/kbsite" build --root "$CORPUS" --output "$RUNS/kbsite" --quiet
            cp "$RUNS/edited.orig" "$EDITED"
        else
            warn "no article found under $CORPUS/content/kb: skipping the edited rebuild"
        fi
        timed kbsite-rebuild-full "$RUNS/kbsite" "$BIN/kbsite" build --root "$CORPUS" --output "$RUNS/kbsite" --quiet --full
        pages=$(find "$RUNS/kbsite/kb" -name index.html 2>/dev/null | wc -l)
        echo "   kbsite article pages: $pages (expected $N)"
    else
        warn "kbsite produced no output: skipping the rebuild and the kbsite floor"
    fi
else
    warn "$BIN/kbsite not built"
    echo "kbsite FAILED(missing) 0 0 0 0 0" >>"$RUNS/results.raw"
fi

# ---------------------------------------------------------------- 6. hugo
# One timed Hugo build into $RUNS/$1; a build lock left in the source folder by an earlier,
# interrupted run would stop it.
hugo_build() {
    rm -f "$HUGO_SRC/.hugo_build.lock"
    timed "$1" "$RUNS/$1" hugo --quiet -s "$HUGO_SRC" -d "$ROOT/$RUNS/$1"
}
HUGO_OK=0
if [[ -z ${SKIP_HUGO:-} ]]; then
    say "hugo ($HUGO_SRC)"
    if ! command -v hugo >/dev/null; then
        echo "installing Debian hugo"
        apt_install hugo
    fi
    if command -v hugo >/dev/null; then
        hugo version
        if hugo_build hugo; then
            pages=$(find "$RUNS/hugo/kb" -name index.html | wc -l)
            if (( pages == N + 1 || pages == N )); then
                HUGO_OK=1
                echo "   hugo article pages: $pages (= $N articles + the /kb/ section page)"
            else
                warn "hugo wrote $pages pages under kb/, expected $N (+1 section page)"
            fi
        fi
    else
        warn "hugo is not available"
    fi
fi

# ---------------------------------------------------------------- 5. floor
# The floor's wall time is kbfloor's own measure of the writing alone (it
# excludes walking the model tree); CPU and RSS come from /usr/bin/time.
# Both of kbfloor's ways of making folders are timed; the faster is the floor.
floor() { # name model [kbfloor options]
    local name=$1 model=$2
    shift 2
    timed "$name" "$RUNS/$name" "$BIN/kbfloor" --like "$model" --out "$RUNS/$name" "$@"
    local secs
    secs=$(grep -o 'seconds=[0-9.]*' "$RUNS/$name.log" | cut -d= -f2)
    if [[ -n $secs ]]; then
        awk -v n="$name" -v s="$secs" '$1 == n { $3 = sprintf("%.2f", s) } { print }' \
            "$RUNS/results.raw" >"$RUNS/results.tmp" && mv "$RUNS/results.tmp" "$RUNS/results.raw"
        grep '^kbfloor:' "$RUNS/$name.log" | sed 's/^/   /'
    fi
}
say "disk floor (kbfloor)"
if (( KBSITE_OK )); then
    floor floor-kbsite "$RUNS/kbsite" --folders threads
    floor floor-kbsite-levels "$RUNS/kbsite" --folders levels
fi
if (( HUGO_OK )); then
    floor floor-hugo "$RUNS/hugo"
fi
(( KBSITE_OK || HUGO_OK )) || warn "no build output to model the floor on"

# ---------------------------------------------------------------- 7. real sample
if (( HAVE_SAMPLE )); then
    say "kbsite build (real sample: $SAMPLE_COPY)"
    if [[ -x $BIN/kbsite ]]; then
        timed kbsite-sample "$RUNS/kbsite-sample" "$BIN/kbsite" build --root "$SAMPLE_COPY" --output "$RUNS/kbsite-sample" --quiet
    else
        echo "kbsite-sample FAILED(missing) 0 0 0 0 0" >>"$RUNS/results.raw"
    fi
fi

# ---------------------------------------------------------------- 7b. more rounds
# The machine's speed drifts (the same build 7.4 or 13.7 s within the hour): a single kbsite /
# Hugo pair can land on either side of a change in it. Each further round is a fresh kbsite
# build, Hugo, and the floor of that build, back to back.
ROUNDS=${ROUNDS:-3}
if (( KBSITE_OK && HUGO_OK && ROUNDS > 1 )); then
    say "$((ROUNDS - 1)) more rounds of kbsite, hugo, floor"
    for r in $(seq 2 "$ROUNDS"); do
        timed "kbsite-$r" "$RUNS/kbsite-$r" "$BIN/kbsite" build --root "$CORPUS" --output "$RUNS/kbsite-$r" --quiet
        hugo_build "hugo-$r"
        floor "floor-kbsite-$r" "$RUNS/kbsite-$r" --folders threads
    done
fi

# ---------------------------------------------------------------- 8. cold inputs
# This kind of machine evicts file pages left idle for about a minute, so a build after a pause
# reads its sources from the disk: these runs start with the page cache dropped.
drop_caches() { sync && echo 3 >/proc/sys/vm/drop_caches; }
if [[ -z ${SKIP_COLD:-} ]] && [[ -w /proc/sys/vm/drop_caches ]]; then
    say "cold inputs (page cache dropped before each run)"
    if (( KBSITE_OK )); then
        drop_caches && timed kbsite-cold "$RUNS/kbsite-cold" "$BIN/kbsite" build --root "$CORPUS" --output "$RUNS/kbsite-cold" --quiet
    fi
    if (( HUGO_OK )); then
        drop_caches && hugo_build hugo-cold
    fi
elif [[ -z ${SKIP_COLD:-} ]]; then
    echo "skipping the cold-input runs: dropping the page cache needs root"
fi

# ---------------------------------------------------------------- 9. table
say "results (N=$N, $(nproc) cores)"
{
    printf 'run\tstatus\twall_s\tcpu_s\tpeak_rss_mb\tfiles\tmb\n'
    tr ' ' '\t' <"$RUNS/results.raw"
} >"$RUNS/results.tsv"
awk '
    function median(a, n,    i, j, t) {
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { name[NR] = $1; st[NR] = $2; wall[NR] = $3; cpu[NR] = $4; rss[NR] = $5; files[NR] = $6; mb[NR] = $7; idx[$1] = NR }
    END {
        printf "%-16s %-18s %9s %9s %9s %9s %9s\n", "run", "status", "wall s", "CPU s", "RSS MB", "files", "MB"
        for (i = 1; i <= NR; i++)
            printf "%-16s %-18s %9.2f %9.2f %9.1f %9d %9.1f\n", name[i], st[i], wall[i], cpu[i], rss[i], files[i], mb[i]
        print ""
        k = idx["kbsite"]; h = idx["hugo"]; f = idx["floor-kbsite"]; fl = idx["floor-kbsite-levels"]
        if (fl && st[fl] == "ok" && (!f || st[f] != "ok" || wall[fl] < wall[f])) f = fl
        if (f) printf "floor: %s (the faster way of making folders)\n", name[f]
        if (k && st[k] == "ok" && h && st[h] == "ok")
            printf "kbsite/hugo:  wall %.2fx, CPU %.2fx, RSS %.2fx\n", wall[k] / wall[h], cpu[k] / (cpu[h] > 0 ? cpu[h] : 1), rss[k] / (rss[h] > 0 ? rss[h] : 1)
        else
            print "kbsite/hugo:  n/a (a run failed or was skipped)"
        if (k && st[k] == "ok" && f && st[f] == "ok" && wall[f] > 0)
            printf "kbsite/floor: wall %.2fx\n", wall[k] / wall[f]
        else
            print "kbsite/floor: n/a (kbsite failed)"
        r = idx["kbsite-rebuild-2"]
        if (r && st[r] == "ok" && f && st[f] == "ok" && wall[f] > 0)
            printf "kbsite steady-state rebuild (kbsite-rebuild-2)/floor: wall %.2fx%s\n", wall[r] / wall[f], (h && st[h] == "ok") ? sprintf(", /hugo: wall %.2fx", wall[r] / wall[h]) : ""
        split("kbsite-rebuild-edit kbsite-rebuild-full", more)
        for (m = 1; m <= 2; m++) {
            r = idx[more[m]]
            if (r && st[r] == "ok" && f && st[f] == "ok" && wall[f] > 0)
                printf "%s/floor: wall %.2fx%s\n", more[m], wall[r] / wall[f], (h && st[h] == "ok") ? sprintf(", /hugo: wall %.2fx", wall[r] / wall[h]) : ""
        }
        # Round 1 is kbsite / hugo / the faster floor above; rounds 2.. are kbsite-R / hugo-R /
        # floor-kbsite-R. Medians of the per-round ratios.
        nh = 0; nf = 0
        for (r = 1; r <= 99; r++) {
            kr = (r == 1) ? k : idx["kbsite-" r]; hr = (r == 1) ? h : idx["hugo-" r]; fr = (r == 1) ? f : idx["floor-kbsite-" r]
            if (!kr) break
            if (st[kr] != "ok") continue
            if (hr && st[hr] == "ok") { rh[++nh] = wall[kr] / wall[hr]; lh = lh sprintf(" %.2f", wall[kr] / wall[hr]) }
            if (fr && st[fr] == "ok" && wall[fr] > 0) { rf[++nf] = wall[kr] / wall[fr]; lf = lf sprintf(" %.2f", wall[kr] / wall[fr]) }
        }
        if (nh > 1) printf "kbsite/hugo per round (wall):%s; median %.2fx\n", lh, median(rh, nh)
        if (nf > 1) printf "kbsite/floor per round (wall):%s; median %.2fx\n", lf, median(rf, nf)
        kc = idx["kbsite-cold"]; hc = idx["hugo-cold"]
        if (kc && st[kc] == "ok" && hc && st[hc] == "ok")
            printf "cold inputs, kbsite/hugo: wall %.2fx\n", wall[kc] / wall[hc]
        fh = idx["floor-hugo"]
        if (h && st[h] == "ok" && fh && st[fh] == "ok" && wall[fh] > 0)
            printf "hugo/floor:   wall %.2fx\n", wall[h] / wall[fh]
    }' "$RUNS/results.raw"
echo
echo "floor wall = kbfloor's own timing of the writes; details in $RUNS/*.log, $RUNS/*.time"

if [[ -n $OLD_RUNS ]]; then
    echo "removing the previous run's outputs ($OLD_RUNS)"
    rm -rf "$OLD_RUNS"
    mark_deleted
fi
