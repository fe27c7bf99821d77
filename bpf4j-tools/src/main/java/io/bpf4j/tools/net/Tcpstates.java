package io.bpf4j.tools.net;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.Row;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code tcpstates}: every TCP state change — socket address, process, local and remote address and port, old and
 * new state, and the milliseconds spent in the old state — libbpf-tools' tcpstates, from
 * {@code tp_btf/inet_sock_set_state}. The process is whoever runs when the state changes: the owner for
 * connect(), listen() and close(), often another task or a softirq for changes the network causes.
 */
@Command(name = "tcpstates", mixinStandardHelpOptions = true,
        description = "Trace TCP state changes with addresses, ports and the time spent in each state.")
public final class Tcpstates extends Tool {
    @Option(names = {"-4", "--ipv4"}, description = "IPv4 only.")
    boolean ipv4;

    @Option(names = {"-6", "--ipv6"}, description = "IPv6 only.")
    boolean ipv6;

    @Option(names = {"-L", "--localport"}, paramLabel = "PORT", converter = OptionTypes.Port.class,
            description = "This local port only.")
    Integer localPort;

    @Option(names = {"-D", "--remoteport"}, paramLabel = "PORT", converter = OptionTypes.Port.class,
            description = "This remote port only.")
    Integer remotePort;

    @Option(names = {"-T", "--timestamp"}, description = "Include a time column (HH:MM:SS).")
    boolean timestamp;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Row row = new Row();

    @Override
    protected int run(ToolSession s) {
        s.object("tcpstates");
        if (ipv4 && !ipv6) s.set("targ_family", Sockets.AF_INET);
        if (ipv6 && !ipv4) s.set("targ_family", Sockets.AF_INET6);
        if (localPort != null) s.set("targ_sport", localPort);
        if (remotePort != null) s.set("targ_dport", remotePort);
        s.load();
        s.attachAll();
        if (!s.json()) {
            if (timestamp) row.left("TIME", 8);
            row.left("SKADDR", 16).left("PID", 7).left("COMM", 16).left("LADDR", 15).left("LPORT", 5)
                    .left("RADDR", 15).left("RPORT", 5).left("OLDSTATE", 11).column("->").left("NEWSTATE", 11)
                    .end("MS").println(s.out());
        }
        s.onEvents("events", s.eventType("tcp_state", "event"), e -> print(s, e));
        s.loop(duration.get(), null, null, null);
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        BtfRecord r = e.record();
        long family = r.getLong("family");
        String saddr = Sockets.address(family, r.get("saddr")), daddr = Sockets.address(family, r.get("daddr"));
        String from = Sockets.state(r.getLong("oldstate")), to = Sockets.state(r.getLong("newstate"));
        String ms = String.format("%.3f", r.getLong("delta_us") / 1000.0);
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "tcp_state");
            m.put("skaddr", Long.toHexString(r.getLong("skaddr")));
            m.put("pid", r.getLong("pid"));
            m.put("comm", r.getString("comm"));
            m.put("family", family == Sockets.AF_INET ? 4 : 6);
            m.put("laddr", saddr);
            m.put("lport", r.getLong("sport"));
            m.put("raddr", daddr);
            m.put("rport", r.getLong("dport"));
            m.put("oldstate", from);
            m.put("newstate", to);
            m.put("ms", r.getLong("delta_us") / 1000.0);
            s.printJson(m);
            return;
        }
        if (timestamp) row.left(CommonOptions.time(), 8);
        row.left(Long.toHexString(r.getLong("skaddr")), 16).left(r.getLong("pid"), 7).left(r.getString("comm"), 16)
                .left(saddr, 15).left(r.getLong("sport"), 5).left(daddr, 15).left(r.getLong("dport"), 5)
                .left(from, 11).column("->").left(to, 11).end(ms).println(s.out());
    }
}
