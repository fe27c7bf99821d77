#!/usr/bin/env bash
# hardirqs: 200 synced 4 KiB writes to the root disk (one block-device interrupt or more each); both tools count
# the interrupts per handler (-C), then time them.
source "$(dirname "$0")/lib.sh"
f=/var/tmp/bpf4j-compare-hardirqs-$RANDOM
trap 'rm -rf "$work" "$f"' EXIT
disk_writes() { dd if=/dev/zero of="$f" bs=4k count=200 oflag=dsync status=none; }
busiest() { awk 'NR > 1 && $2 ~ /^[0-9]+$/ && $2 > max { max = $2; name = $1 } END { print name }' "$1"; }
value() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }

both 1 "$work/b" "$work/l" hardirqs -C -- hardirqs -C
disk_writes
wait_both
disk=$(busiest "$work/l")
result hardirqs "$disk interrupts (-C)" "$(value "$work/b" "$disk")" "$(value "$work/l" "$disk")"

both 1 "$work/b" "$work/l" hardirqs -- hardirqs
disk_writes
wait_both
result hardirqs "$disk total usecs" "$(value "$work/b" "$disk")" "$(value "$work/l" "$disk")"
