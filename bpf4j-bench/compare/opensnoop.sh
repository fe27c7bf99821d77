#!/usr/bin/env bash
# opensnoop: the same 200 opens of a uniquely named file, seen by bpf4j and by libbpf-tools' opensnoop.
source "$(dirname "$0")/lib.sh"
f=$work/bpf4j-compare-open-$RANDOM
touch "$f"
both 1 "$work/b" "$work/l" opensnoop -n cat -- opensnoop -n cat
for i in $(seq 1 200); do cat "$f" >/dev/null; done
cat "$f.missing" 2>/dev/null || true
wait_both
result opensnoop "opens of the file" "$(grep -c -- "$f\$" "$work/b")" "$(grep -c -- "$f\$" "$work/l")"
result opensnoop "failed opens (ENOENT)" "$(grep -- "$f.missing" "$work/b" | grep -c ' 2 ')" \
  "$(grep -- "$f.missing" "$work/l" | grep -c ' 2 ')"
