#!/usr/bin/env bash
# biolatency: the same 200 fsync'd 4 KiB writes, timed by bpf4j and by libbpf-tools' biolatency (both -D).
source "$(dirname "$0")/lib.sh"
f=$root/bpf4j-bench/target/biolatency-compare.dat   # on the disk, not tmpfs
mkdir -p "$(dirname "$f")"
both 1 "$work/b" "$work/l" biolatency -D -- biolatency -D
python3 - "$f" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
for i in range(200):
    os.pwrite(fd, b"\0" * 4096, i * 4096)
    os.fsync(fd)
os.close(fd)
PY
rm -f "$f"
wait_both
total() { awk '/->/ { n += $5 } END { print n + 0 }' "$1"; }
result biolatency "I/Os timed, all disks" "$(total "$work/b")" "$(total "$work/l")"
disk=$(df --output=source "$root" | tail -1 | sed 's|/dev/||; s/[0-9]*$//')
result biolatency "disk of the workload is listed ($disk)" "$(grep -c "disk = $disk" "$work/b")" \
  "$(grep -c "disk = $disk" "$work/l")"
