#!/usr/bin/env bash
# execsnoop: the same 200 execs of a uniquely named program (and 20 failing execs of a missing one), seen by bpf4j
# and by libbpf-tools' execsnoop, both with -x.
source "$(dirname "$0")/lib.sh"
name=bx$RANDOM$RANDOM
prog=$work/$name
cp /bin/true "$prog"
both 1 "$work/b" "$work/l" execsnoop -x -- execsnoop -x
for i in $(seq 1 200); do "$prog" arg "$i"; done
for i in $(seq 1 20); do "$prog.missing" 2>/dev/null || true; done
wait_both
result execsnoop "execs of the program" "$(grep -c -- "$prog arg" "$work/b")" "$(grep -c -- "$prog arg" "$work/l")"
result execsnoop "execs with the right args" "$(grep -cE -- " 0 $prog arg [0-9]+ *$" "$work/b")" \
  "$(grep -cE -- " 0 $prog arg [0-9]+ *$" "$work/l")"
result execsnoop "failed execs (ENOENT)" "$(grep -- "$prog.missing" "$work/b" | grep -c ' -2 ')" \
  "$(grep -- "$prog.missing" "$work/l" | grep -c ' -2 ')"
