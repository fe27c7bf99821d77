// Every TCP socket that starts listening, as an event struct through a perf buffer: address, port, network
// namespace and backlog, as the "turn any kernel call into an event" write-up does with a kprobe on inet_listen.
// This kernel has no kprobes; the sock:inet_sock_set_state tracepoint serves instead: it fires when inet_listen()
// moves the socket to TCP_LISTEN, and gives the socket, from which the backlog and the namespace are read (the
// pointer dereferences are compiled to CO-RE reads, as bcc rewrites them to probe reads).
//
//   ./bpf4j script bpf4j-bcc/examples/InetListen.java
import io.bpf4j.bcc.Bcc;
import io.bpf4j.core.events.BtfRecord;

public class InetListen {
    public static void main(String[] args) {
        try (Bcc b = new Bcc("""
                #include <net/sock.h>
                #include <net/inet_sock.h>
                #include <bcc/proto.h>

                struct listen_evt_t {
                    u64 laddr;
                    u64 lport;
                    u64 netns;
                    u64 backlog;
                    u32 pid;
                };
                BPF_PERF_OUTPUT(listen_evt);

                TRACEPOINT_PROBE(sock, inet_sock_set_state) {
                    if (args->newstate != TCP_LISTEN || args->family != AF_INET) return 0;
                    struct sock *sk = (struct sock *)args->skaddr;
                    u32 laddr = 0;
                    __builtin_memcpy(&laddr, args->saddr, sizeof(laddr));
                    struct listen_evt_t evt = {
                        .laddr = ntohl(laddr),
                        .lport = args->sport,
                        .netns = sk->__sk_common.skc_net.net->ns.inum,
                        .backlog = sk->sk_max_ack_backlog,
                        .pid = bpf_get_current_pid_tgid() >> 32,
                    };
                    listen_evt.perf_submit(args, &evt, sizeof(evt));
                    return 0;
                }
                """)) {
            b.openPerfBuffer("listen_evt", (cpu, e) -> print(e));
            System.out.println("Attached to sock:inet_sock_set_state (TCP_LISTEN); Ctrl-C to end");
            while (true) b.perfBufferPoll();
        }
    }

    static void print(BtfRecord e) {
        System.out.printf("pid %d listening on %x %d with %d pending connections in netns %d%n", e.getLong("pid"),
                e.getLong("laddr"), e.getLong("lport"), e.getLong("backlog"), e.getLong("netns"));
    }
}
