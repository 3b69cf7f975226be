#!/usr/bin/env bash
# bench/ram-ext4.sh — time a command writing into a fresh ext4 file system held in RAM.
#
# Usage (as root: it makes and mounts a file system):
#
#   bench/ram-ext4.sh LABEL 'COMMAND …'     # COMMAND sees $OUT, a folder on the new file system
#
#   bench/ram-ext4.sh old 'target/release/kbsite build --root bench/out/corpus-60k --output $OUT -q'
#   bench/ram-ext4.sh floor 'target/release/kbfloor --like SITE --out $OUT'
#
# Why: on this project's virtual disk the time to create files moves by half from one run to the
# next (other tenants, ext4 scanning recently freed inodes after a large deletion), so a
# few-percent change in how kbsite makes folders and files drowns in the noise. ext4 on a loop
# device backed by /dev/shm runs the same kernel code (directory locks, inode and block
# allocation, the journal) without the device: alternating runs of two binaries agree within
# a few percent. It leaves out the device's own latency, so confirm a change on the disk too.
#
# Each run gets a new file system (SIZE, default 6G of RAM while it runs; one inode per 8 KiB,
# enough for a 60,000-article site's 260,000 files and folders), so no run pays for an earlier
# one's deletions. Prints one line: LABEL: wall, user and system seconds, peak RSS.

set -uo pipefail

label=${1:?usage: bench/ram-ext4.sh LABEL COMMAND}
shift
size=${SIZE:-6G}
image=/dev/shm/kbsite-bench-ext4.img
mnt=/mnt/kbsite-bench-ext4

cleanup() {
    umount "$mnt" 2>/dev/null
    rm -f "$image"
}
trap cleanup EXIT
cleanup
mkdir -p "$mnt"
truncate -s "$size" "$image" && mkfs.ext4 -q -F -i 8192 "$image" && mount -o loop "$image" "$mnt" || {
    echo "could not make and mount an ext4 file system in RAM (root needed)" >&2
    exit 1
}
export OUT=$mnt/out
/usr/bin/time -f "$label: %e s wall, user %U s, system %S s, peak RSS %M KB" bash -c "$*"
