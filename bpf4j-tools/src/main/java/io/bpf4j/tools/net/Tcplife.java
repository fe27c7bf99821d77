package io.bpf4j.tools.net;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Codec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.Row;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tcplife}: one line per TCP session when it closes — its process, local and remote address and port, the
 * data it sent (and got acknowledged) and received, and how long it lived — libbpf-tools' tcplife, from
 * {@code tp_btf/inet_sock_set_state}. The process is the one that connected, or for an accepted session the one
 * that closed it (or, when a reset or timeout closed it first, whoever ran then). The byte counts are the
 * kernel's {@code bytes_acked} and {@code bytes_received} less the SYN and FIN they count, so data bytes exactly.
 */
@Command(name = "tcplife", mixinStandardHelpOptions = true,
        description = "Trace TCP sessions as they close: process, addresses, ports, bytes sent and received, "
                + "lifespan.")
public final class Tcplife extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this process only.")
    Integer pid;

    @Option(names = {"-L", "--localport"}, paramLabel = "PORTS", split = ",", converter = OptionTypes.Port.class,
            description = "Local ports to show, comma-separated.")
    List<Integer> localPorts;

    @Option(names = {"-D", "--remoteport"}, paramLabel = "PORTS", split = ",", converter = OptionTypes.Port.class,
            description = "Remote ports to show, comma-separated.")
    List<Integer> remotePorts;

    @Option(names = {"-4", "--ipv4"}, description = "IPv4 only.")
    boolean ipv4;

    @Option(names = {"-6", "--ipv6"}, description = "IPv6 only.")
    boolean ipv6;

    @Option(names = {"-T", "--time"}, description = "Include a time column (HH:MM:SS).")
    boolean time;

    @Option(names = {"-t", "--timestamp"}, description = "Include a time column (seconds since the first session).")
    boolean timestamp;

    @Option(names = {"-w", "--wide"}, description = "Wide address columns (IPv6 addresses fit).")
    boolean wide;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Row row = new Row();
    private long firstNs = -1;

    @Override
    protected int run(ToolSession s) {
        s.object("tcplife");
        if (pid != null) s.set("targ_pid", pid);
        if (ipv4 && !ipv6) s.set("targ_family", Sockets.AF_INET);
        if (ipv6 && !ipv4) s.set("targ_family", Sockets.AF_INET6);
        if (localPorts != null) s.set("filter_lport", 1);
        if (remotePorts != null) s.set("filter_rport", 1);
        s.load();
        fill(s, "lports", "-L", localPorts);
        fill(s, "rports", "-D", remotePorts);
        s.attachAll();
        int width = wide ? 39 : 15;
        if (!s.json()) {
            if (time) row.left("TIME", 8);
            if (timestamp) row.left("TIME(s)", 9);
            row.left("PID", 7).left("COMM", 16).left("LADDR", width).left("LPORT", 5).left("RADDR", width)
                    .left("RPORT", 5).left("TX_KB", 6).left("RX_KB", 6).end("MS").println(s.out());
        }
        s.onEvents("events", s.eventType("tcp_session", "event"), e -> print(s, e, width));
        s.loop(duration.get(), null, null, null);
        return 0;
    }

    /** Puts {@code ports} (given with {@code flag}) in the object's port set {@code map}. */
    private static void fill(ToolSession s, String map, String flag, List<Integer> ports) {
        if (ports == null) return;
        BpfMap m = s.map(map);
        if (ports.size() > m.maxEntries()) {
            throw new UsageError(flag + " takes at most " + m.maxEntries() + " ports");
        }
        TypedMap<Short, Byte> set = m.typed(Codec.SHORT, Codec.BYTE);
        for (int port : ports) set.put((short) port, (byte) 1);
    }

    private void print(ToolSession s, TraceEvent e, int width) {
        BtfRecord r = e.record();
        long family = r.getLong("family");
        String saddr = Sockets.address(family, r.get("saddr")), daddr = Sockets.address(family, r.get("daddr"));
        long tx = r.getLong("tx_bytes"), rx = r.getLong("rx_bytes"), spanNs = r.getLong("span_ns");
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "tcp_session");
            m.put("pid", r.getLong("pid"));
            m.put("comm", r.getString("comm"));
            m.put("family", family == Sockets.AF_INET ? 4 : 6);
            m.put("laddr", saddr);
            m.put("lport", r.getLong("sport"));
            m.put("raddr", daddr);
            m.put("rport", r.getLong("dport"));
            m.put("tx_bytes", tx);
            m.put("rx_bytes", rx);
            m.put("ms", spanNs / 1e6);
            s.printJson(m);
            return;
        }
        if (time) row.left(CommonOptions.time(), 8);
        if (timestamp) {
            if (firstNs < 0) firstNs = e.timestampNs();
            row.left(String.format("%.6f", (e.timestampNs() - firstNs) / 1e9), 9);
        }
        row.left(r.getLong("pid"), 7).left(r.getString("comm"), 16).left(saddr, width).left(r.getLong("sport"), 5)
                .left(daddr, width).left(r.getLong("dport"), 5).left(String.format("%.2f", tx / 1024.0), 6)
                .left(String.format("%.2f", rx / 1024.0), 6).end(String.format("%.2f", spanNs / 1e6))
                .println(s.out());
    }
}
