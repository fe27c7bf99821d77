// A packet-rate detector and filter on one network interface, with XDP: the IPv4 packets of each source address
// are counted, sources over LIMIT packets in a second are reported (the bcc DDoS detector's idea, at the driver
// instead of ip_rcv), and sources put in the 'blocked' map from Java are dropped, with per-CPU counts of what
// passed and what was dropped (the XDP IP filter write-up). Commands on stdin: 'block A.B.C.D', 'unblock A.B.C.D',
// 'stats'; the program is detached when stdin ends, on Ctrl-C and on SIGTERM.
//
//   ./bpf4j script bpf4j-bcc/examples/PacketRate.java IFACE [LIMIT]
import io.bpf4j.bcc.Bcc;
import io.bpf4j.bcc.BccTable;
import io.bpf4j.bcc.compile.BccOptions;
import io.bpf4j.core.events.BtfRecord;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;

public class PacketRate {
    static final String PROGRAM = """
            #include <uapi/linux/if_ether.h>
            #include <uapi/linux/ip.h>

            struct window_t { u64 second; u64 packets; };
            struct alert_t { u32 saddr; u64 packets; };

            BPF_HASH(blocked, u32, u32);          // source addresses to drop, written from Java
            BPF_HASH(per_source, u32, u64);       // IPv4 packets seen per source address
            BPF_HASH(windows, u32, struct window_t);
            BPF_PERCPU_ARRAY(verdicts, u64, 2);   // [0] passed, [1] dropped
            BPF_PERF_OUTPUT(alerts);

            int xdp_rate(struct xdp_md *ctx) {
                void *data = (void *)(long)ctx->data;
                void *data_end = (void *)(long)ctx->data_end;
                struct ethhdr *eth = data;
                if ((void *)(eth + 1) > data_end || eth->h_proto != htons(ETH_P_IP)) return XDP_PASS;
                struct iphdr *ip = (void *)(eth + 1);
                if ((void *)(ip + 1) > data_end) return XDP_PASS;
                u32 saddr = ip->saddr;
                per_source.increment(saddr);

                u64 second = bpf_ktime_get_ns() / 1000000000;
                struct window_t fresh = {.second = second, .packets = 0};
                struct window_t *w = windows.lookup_or_try_init(&saddr, &fresh);
                if (w) {
                    if (w->second != second) { w->second = second; w->packets = 0; }
                    w->packets++;
                    if (w->packets == LIMIT + 1) {
                        struct alert_t a = {.saddr = saddr, .packets = w->packets};
                        alerts.perf_submit(ctx, &a, sizeof(a));
                    }
                }

                int verdict = blocked.lookup(&saddr) ? 1 : 0;
                verdicts.increment(verdict);
                return verdict ? XDP_DROP : XDP_PASS;
            }
            """;

    public static void main(String[] args) throws Exception {
        String iface = args[0];
        String limit = args.length > 1 ? args[1] : "1000";
        try (Bcc b = new Bcc(PROGRAM, new BccOptions("packet_rate.c", Map.of("LIMIT", limit), List.of(), List.of()))) {
            b.attachXdp(iface, "xdp_rate");
            b.openPerfBuffer("alerts", (cpu, a) -> System.out.printf(
                    "ALERT %s sent more than %s packets in a second%n", address(a.getLong("saddr")), limit));
            System.out.println("Attached xdp_rate to " + iface + "; commands: block IP, unblock IP, stats");
            LinkedBlockingQueue<String> commands = new LinkedBlockingQueue<>();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
                    for (String l; (l = in.readLine()) != null; ) commands.add(l.strip());
                } catch (Exception ignored) {
                    // stdin is gone: end as at its end
                }
                commands.add("end");
            });
            while (true) {
                b.perfBufferPoll(100);
                for (String c; (c = commands.poll()) != null; ) {
                    String[] w = c.split("\\s+");
                    switch (w[0]) {
                        case "block" -> {
                            b.get("blocked").put(key(w[1]), 1);
                            System.out.println("blocked " + w[1]);
                        }
                        case "unblock" -> System.out.println((b.get("blocked").delete(key(w[1])) ? "unblocked "
                                : "was not blocked: ") + w[1]);
                        case "stats" -> stats(b);
                        case "end" -> {
                            return;
                        }
                        default -> System.out.println("commands: block IP, unblock IP, stats");
                    }
                }
            }
        }
    }

    static void stats(Bcc b) {
        for (BccTable.Entry e : b.get("per_source").items()) {
            System.out.printf("source %s packets %d%n", address((Long) e.key()), e.value());
        }
        System.out.printf("passed %d dropped %d%nend of stats%n", b.get("verdicts").sum(0), b.get("verdicts").sum(1));
    }

    /** The map key of an IPv4 address: its 4 bytes as the packet holds them, read as a native u32. */
    static long key(String ip) throws Exception {
        byte[] a = InetAddress.getByName(ip).getAddress();
        return Integer.toUnsignedLong(ByteBuffer.wrap(a).order(ByteOrder.nativeOrder()).getInt());
    }

    static String address(long key) {
        byte[] a = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt((int) key).array();
        return (a[0] & 0xff) + "." + (a[1] & 0xff) + "." + (a[2] & 0xff) + "." + (a[3] & 0xff);
    }
}
