#!/usr/bin/env bash
# exitsnoop: the same 200 exits with code 3 and 20 SIGKILLed processes of a uniquely named program, seen by bpf4j
# and by libbpf-tools' exitsnoop.
source "$(dirname "$0")/lib.sh"
name=bx$RANDOM$RANDOM
prog=$work/$name
cp /bin/sh "$prog"
both 1 "$work/b" "$work/l" exitsnoop -- exitsnoop
for i in $(seq 1 200); do "$prog" -c 'exit 3' || true; done
for i in $(seq 1 20); do
  "$prog" -c 'read x' < <(sleep 5) &
  # kill it once it runs the program (before the exec it is still a bash fork with bash's name)
  until [[ $(cat /proc/$!/comm 2>/dev/null) == "$name" ]]; do sleep 0.01; done
  kill -KILL $! 2>/dev/null
  wait $! 2>/dev/null || true
done
wait_both
result exitsnoop "exits with code 3" "$(grep "^$name " "$work/b" | grep -c 'code 3$')" \
  "$(grep "^$name " "$work/l" | grep -c 'code 3$')"
result exitsnoop "deaths by SIGKILL" "$(grep "^$name " "$work/b" | grep -c 'signal 9 (Killed)')" \
  "$(grep "^$name " "$work/l" | grep -c 'signal 9 (Killed)')"
