# Shared by the compare/*.sh scripts: each runs a bpf4j tool and its libbpf-tools twin side by side on the same
# workload and prints what both saw as tab-separated lines: TOOL<TAB>METRIC<TAB>BPF4J<TAB>LIBBPF-TOOLS.
# Usage inside a script: source "$(dirname "$0")/lib.sh"
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bpf4j=$root/bpf4j
work=$(mktemp -d /tmp/bpf4j-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT

# libbpf-tools resolve tracepoints (and find kprobe functions) through tracefs, which they do not mount themselves
mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing

# result TOOL METRIC BPF4J LIBBPF
result() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }

# both SECONDS OUT_BPF4J OUT_LIBBPF BPF4J_ARGS… -- LIBBPF_CMD…: starts both tracers, waits until each printed its
# first line (attached), and leaves them running; wait_both stops them (SIGINT) after SECONDS.
both() {
  local secs=$1 ob=$2 ol=$3
  shift 3
  local bargs=() largs=()
  while [[ $1 != -- ]]; do bargs+=("$1"); shift; done
  shift
  largs=("$@")
  "$bpf4j" "${bargs[@]}" >"$ob" 2>"$ob.err" &
  bpid=$!
  "${largs[@]}" >"$ol" 2>"$ol.err" &
  lpid=$!
  local i
  for i in $(seq 1 300); do
    [[ -s $ob && -s $ol ]] && break
    sleep 0.05
  done
  sleep 0.3
  both_secs=$secs
}

wait_both() {
  sleep "${both_secs:-1}"
  # SIGTERM for bpf4j: a background job of a non-interactive shell starts with SIGINT ignored, and the JVM keeps
  # it so; SIGINT for libbpf-tools, which flush their output on it (SIGTERM would lose what stdio buffered).
  kill -TERM "$bpid" 2>/dev/null || true
  kill -INT "$lpid" 2>/dev/null || true
  wait "$bpid" 2>/dev/null || true
  wait "$lpid" 2>/dev/null || true
}
