# bench/settle.sh — sourced by bench/run.sh and bench/scale.sh (from the repo root).
#
# On this machine's disk (ext4 without a journal: /sys/fs/ext4/<dev>/journal_task is <none>),
# creating files for several minutes after many were deleted costs several times the usual kernel
# time: the inode allocator checks each free inode's table block and skips inodes deleted within
# the last 60 s, or 360 s while that block is still dirty (`recently_deleted` in fs/ext4/ialloc.c;
# `perf` of a slow build shows it and `find_get_block_common` at ~20% of all CPU). Fresh 60k builds
# 4–8 minutes after a 2 GB deletion took 32–40 s with 56–71 s of system time, against 7–8 s.
#
# So the scripts record when they last deleted outputs (mark_deleted) and wait before timing
# until SETTLE seconds (default 480) have passed since then (settle). Deletions made outside
# these scripts are not known to them: wait before running after a large `rm -rf`.

SETTLE=${SETTLE:-480}
DELETED_STAMP=bench/out/.deleted-at

mark_deleted() {
    mkdir -p "$(dirname "$DELETED_STAMP")" && date +%s >"$DELETED_STAMP"
}

settle() {
    [[ -f $DELETED_STAMP ]] || return 0
    local age=$(($(date +%s) - $(cat "$DELETED_STAMP")))
    if ((age < SETTLE)); then
        echo "waiting $((SETTLE - age)) s before timing: outputs were deleted $age s ago, and ext4 creates" \
            "files slowly for minutes after a large deletion (SETTLE=0 skips the wait)"
        sleep $((SETTLE - age))
    fi
}
