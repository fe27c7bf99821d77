#!/usr/bin/env bash
# tcpstates: the same 100 loopback sessions (the client closing first), seen by bpf4j and by libbpf-tools'
# tcpstates: the state changes of the sessions' sockets (those with the server's port at either end), by change.
source "$(dirname "$0")/lib.sh"
both 1 "$work/b" "$work/l" tcpstates -- tcpstates
python3 - "$work/port" <<'EOF2'
import socket, sys
with socket.create_server(("127.0.0.1", 0)) as server:
    port = server.getsockname()[1]
    open(sys.argv[1], "w").write(str(port))
    for i in range(100):
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        client.sendall(b"x" * 100)
        accepted.recv(100)
        client.close()
        accepted.recv(1)  # the client's FIN
        accepted.close()
EOF2
wait_both
port=$(cat "$work/port")
# changes OUT [FILTER]: "OLD->NEW N" for the lines (SKADDR PID COMM LADDR LPORT RADDR RPORT OLD -> NEW MS) of the
# sessions' sockets; the listening socket (LPORT = port, RADDR 0.0.0.0) is left out
changes() {
  awk -v p="$port" '($5 == p || $7 == p) && $7 != 0 { n[$8 "->" $10]++ } END { for (k in n) print k, n[k] }' "$1" | sort
}
changes "$work/b" >"$work/bc"
changes "$work/l" >"$work/lc"
result tcpstates "state changes of the sessions' sockets" "$(awk '{ s += $2 } END { print s + 0 }' "$work/bc")" \
  "$(awk '{ s += $2 } END { print s + 0 }' "$work/lc")"
for change in $(cut -d' ' -f1 "$work/bc" "$work/lc" | sort -u); do
  result tcpstates "  $change" "$(awk -v c="$change" '$1 == c { print $2 }' "$work/bc")" \
    "$(awk -v c="$change" '$1 == c { print $2 }' "$work/lc")"
done
# the local port of the client ends' moves to CLOSE: the tracepoint's own sport has it, skc_num is 0 by then
closing() { awk -v p="$port" '$7 == p && $10 == "CLOSE" && $5 != 0 { n++ } END { print n + 0 }' "$1"; }
result tcpstates "client moves to CLOSE showing their LPORT" "$(closing "$work/b")" "$(closing "$work/l")"
