#!/usr/bin/env bash
# syscount: dd copies 20000 single bytes (20000 read + 20000 write syscalls); both tools count the syscalls of
# that process (-p), dd held back on a FIFO until both are attached.
source "$(dirname "$0")/lib.sh"
mkfifo "$work/go"
bash -c 'read -r _ <"$1"; exec dd if=/dev/zero of=/dev/null bs=1 count=20000 status=none' _ "$work/go" &
dd_pid=$!
both 1 "$work/b" "$work/l" syscount -p "$dd_pid" -L -- syscount -p "$dd_pid" -L
echo go >"$work/go"
wait "$dd_pid"
wait_both
count() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }
result syscount "read calls" "$(count "$work/b" read)" "$(count "$work/l" read)"
result syscount "write calls" "$(count "$work/b" write)" "$(count "$work/l" write)"
result syscount "read total us (-L)" "$(awk '$1 == "read" { print $3 }' "$work/b")" \
  "$(awk '$1 == "read" { print $3 }' "$work/l")"
