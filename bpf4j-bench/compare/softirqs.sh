#!/usr/bin/env bash
# softirqs: 3000 UDP datagrams to a closed port on 127.0.0.1 (each received through NET_RX, answered by an ICMP
# port-unreachable, received too); both tools time the softirqs, then histogram them (-d: run counts).
source "$(dirname "$0")/lib.sh"
udp() { for _ in $(seq 1 3000); do echo x 2>/dev/null >/dev/udp/127.0.0.1/9 || true; done; }
total() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }
# the sum of the counts of the histogram labelled "softirq = NAME"
runs() { awk -v n="$2" '/^softirq = / { on = ($3 == n) } on && $2 == "->" { s += $5 } END { print s + 0 }' "$1"; }

both 1 "$work/b" "$work/l" softirqs -- softirqs
udp
wait_both
result softirqs "net_rx total usecs" "$(total "$work/b" net_rx)" "$(total "$work/l" net_rx)"

both 1 "$work/b" "$work/l" softirqs -d -- softirqs -d
udp
wait_both
result softirqs "net_rx runs (-d)" "$(runs "$work/b" net_rx)" "$(runs "$work/l" net_rx)"
result softirqs "timer runs (-d)" "$(runs "$work/b" timer)" "$(runs "$work/l" timer)"
