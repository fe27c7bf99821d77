// TCP connect latency: the time from SYN sent to established, per connection, into a log2 histogram, and the
// connections per destination port into a hash; printed, with bcc's histogram text, when stdin ends. The bcc
// slides' tcpv4connect kept the socket of each connect in a hash between a kprobe and a kretprobe on
// tcp_v4_connect; here one tracepoint, sock:inet_sock_set_state, sees both ends (SYN_SENT, then ESTABLISHED),
// and the hash keyed by the socket keeps the start time between them. An optional port keeps only connections to
// it (a #define: the C is compiled once per port).
//
//   ./bpf4j script bpf4j-bcc/examples/TcpConnectLatency.java [PORT] < /dev/tty
import io.bpf4j.bcc.Bcc;
import io.bpf4j.bcc.BccTable;
import io.bpf4j.bcc.compile.BccOptions;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

public class TcpConnectLatency {
    static final String PROGRAM = """
            #include <net/sock.h>

            BPF_HASH(start, struct sock *, u64);
            BPF_HISTOGRAM(dist);
            BPF_HASH(per_port, u16, u64);

            TRACEPOINT_PROBE(sock, inet_sock_set_state) {
                if (args->protocol != IPPROTO_TCP) return 0;
                struct sock *sk = (struct sock *)args->skaddr;
                if (args->newstate == TCP_SYN_SENT) {
            #ifdef PORT
                    if (args->dport != PORT) return 0;
            #endif
                    u64 ts = bpf_ktime_get_ns();
                    start.update(&sk, &ts);
                    return 0;
                }
                if (args->newstate != TCP_ESTABLISHED && args->newstate != TCP_CLOSE) return 0;
                u64 *tsp = start.lookup(&sk);
                if (!tsp) return 0;
                if (args->newstate == TCP_ESTABLISHED) {
                    u64 usecs = (bpf_ktime_get_ns() - *tsp) / 1000;
                    dist.increment(bpf_log2l(usecs));
                    u16 port = args->dport;
                    per_port.increment(port);
                }
                start.delete(&sk);
                return 0;
            }
            """;

    public static void main(String[] args) throws IOException {
        Map<String, String> defines = args.length > 0 ? Map.of("PORT", args[0]) : Map.of();
        try (Bcc b = new Bcc(PROGRAM, new BccOptions("tcpconnlat.c", defines, List.of(), List.of()))) {
            System.out.println("Attached to sock:inet_sock_set_state; tracing TCP connects until stdin ends");
            System.in.transferTo(OutputStream.nullOutputStream());
            b.get("dist").printLog2Hist("usecs");
            for (BccTable.Entry e : b.get("per_port").items()) {
                System.out.printf("connections to port %d: %d%n", e.key(), e.value());
            }
        }
    }
}
