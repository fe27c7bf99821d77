#!/usr/bin/env bash
# tcplife: the same 100 loopback sessions (odd byte counts each way, each held open 10 ms, the client closing
# first), seen by bpf4j and by libbpf-tools' tcplife. Each session has two ends: the client's and the accepted one.
# libbpf-tools' byte counts include the SYN and FIN sequence numbers (bpf4j's are data only): its TX_KB/RX_KB differ
# where those one or two bytes cross a rounding step.
source "$(dirname "$0")/lib.sh"
both 1 "$work/b" "$work/l" tcplife -- tcplife
# writes one line per session end: PID LPORT RPORT TX_KB RX_KB
python3 - "$work/expected" <<'EOF'
import os, socket, sys, time
with socket.create_server(("127.0.0.1", 0)) as server, open(sys.argv[1], "w") as expected:
    port = server.getsockname()[1]
    for i in range(100):
        up, down = 1000 * i + 1, 777 * i + 3
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        client.sendall(b"x" * up)
        got = 0
        while got < up:
            got += len(accepted.recv(65536))
        accepted.sendall(b"y" * down)
        got = 0
        while got < down:
            got += len(client.recv(65536))
        time.sleep(0.01)
        cport = client.getsockname()[1]
        client.close()
        accepted.recv(1)  # the client's FIN
        accepted.close()
        kb = lambda n: "%.2f" % (n / 1024)
        print(os.getpid(), cport, port, kb(up), kb(down), file=expected)
        print(os.getpid(), port, cport, kb(down), kb(up), file=expected)
EOF
wait_both
# count OUT CONDITION: the session ends in OUT (PID COMM LADDR LPORT RADDR RPORT TX_KB RX_KB MS) that CONDITION
# accepts, given e[1..5], the expected PID LPORT RPORT TX_KB RX_KB of that end
count() {
  awk -v cond="$2" 'NR == FNR { want[$2 " " $3] = $0; next }
    ($4 " " $6) in want {
      split(want[$4 " " $6], e, " ")
      ok = cond == "seen" || (cond == "pid" && $1 == e[1]) || (cond == "bytes" && $7 == e[4] && $8 == e[5]) \
        || (cond == "ms" && $9 >= 10)
      n += ok
    }
    END { print n + 0 }' "$work/expected" "$1"
}
result tcplife "session ends seen (of 200)" "$(count "$work/b" seen)" "$(count "$work/l" seen)"
result tcplife "with the process's PID" "$(count "$work/b" pid)" "$(count "$work/l" pid)"
result tcplife "with TX_KB and RX_KB of the data sent" "$(count "$work/b" bytes)" "$(count "$work/l" bytes)"
result tcplife "with MS at least the 10 ms held open" "$(count "$work/b" ms)" "$(count "$work/l" ms)"
