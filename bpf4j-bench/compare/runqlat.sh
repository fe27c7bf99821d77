#!/usr/bin/env bash
# runqlat: three busy shell loops pinned to CPU 0 queue behind each other; both tools histogram the run-queue
# latency of one of them (-p) in milliseconds.
source "$(dirname "$0")/lib.sh"
pids=()
for i in 1 2 3; do taskset -c 0 sh -c 'while :; do :; done' & pids+=($!); done
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.3
both 3 "$work/b" "$work/l" runqlat -m -p "${pids[0]}" -- runqlat -m -p "${pids[0]}"
wait_both
# samples: the sum of the histogram's counts; mode: the low end of its fullest bucket
samples() { awk '$2 == "->" { s += $5 } END { print s + 0 }' "$1"; }
mode() { awk '$2 == "->" && $5 > max { max = $5; low = $1 } END { print low "ms" }' "$1"; }
result runqlat "wakeups+preemptions timed (3 s)" "$(samples "$work/b")" "$(samples "$work/l")"
result runqlat "fullest bucket" "$(mode "$work/b")" "$(mode "$work/l")"
