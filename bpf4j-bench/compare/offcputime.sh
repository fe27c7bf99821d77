#!/usr/bin/env bash
# offcputime: the same child sleeping 20 ms at a time in a uniquely named function, watched for 3 s by bpf4j and
# by libbpf-tools' offcputime (-p PID 3, each counting its own 3 s after attaching).
source "$(dirname "$0")/lib.sh"
fn=bpf4j_nap_$RANDOM
cat >"$work/nap.c" <<C
#include <unistd.h>
void nap(void) { usleep(20000); }
void $fn(void) { for (;;) nap(); }
int main(void) { $fn(); return 0; }
C
gcc -O0 -fno-omit-frame-pointer -o "$work/bnap" "$work/nap.c"
"$work/bnap" &
child=$!
"$bpf4j" offcputime -p "$child" 3 >"$work/b" 2>"$work/b.err" &
bpid=$!
offcputime -p "$child" 3 >"$work/l" 2>"$work/l.err" &
lpid=$!
wait "$bpid" "$lpid" || true
kill "$child"
# total: the count line after each "    -                bnap (PID)" line; stacks: how many such blocks
total() { awk '/^    -  +bnap \(/ { getline; s += $1 } END { print s + 0 }' "$1"; }
stacks() { grep -c '^    -  *bnap (' "$1" || true; }
result offcputime "off-CPU us of the sleeper in 3 s" "$(total "$work/b")" "$(total "$work/l")"
result offcputime "distinct stacks of the sleeper" "$(stacks "$work/b")" "$(stacks "$work/l")"
result offcputime "frames naming the sleeper's function" "$(grep -c "^    $fn\$" "$work/b" || true)" \
  "$(grep -c "^    $fn\$" "$work/l" || true)"
result offcputime "kernel frames 'schedule'" "$(grep -c '^    schedule$' "$work/b" || true)" \
  "$(grep -c '^    schedule$' "$work/l" || true)"
