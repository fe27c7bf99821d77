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
import java.util.List;
import java.util.Map;

/**
 * {@code tcpconnect}: every active TCP connection (connect()) with its process, addresses and destination port —
 * libbpf-tools' tcpconnect columns. It watches the socket's move to {@code TCP_SYN_SENT}
 * ({@code tp_btf/inet_sock_set_state}), inside connect(); the connection's success shows in tcpstates.
 */
@Command(name = "tcpconnect", mixinStandardHelpOptions = true,
        description = "Trace active TCP connections (connect()): process, addresses, destination port.")
public final class Tcpconnect extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this process only.")
    Integer pid;

    @Option(names = {"-u", "--uid"}, paramLabel = "UID", converter = OptionTypes.Uid.class,
            description = "Trace this user only.")
    Integer uid;

    @Option(names = {"-P", "--port"}, paramLabel = "PORTS", split = ",", converter = OptionTypes.Port.class,
            description = "Destination ports to show, comma-separated.")
    List<Integer> ports;

    @Option(names = {"-U", "--print-uid"}, description = "Include a UID column.")
    boolean printUid;

    @Option(names = {"-t", "--timestamp"}, description = "Include a time column (seconds since start).")
    boolean timestamp;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Row row = new Row();

    @Override
    protected int run(ToolSession s) {
        s.object("tcpconnect");
        if (pid != null) s.set("targ_pid", pid);
        if (uid != null) s.set("targ_uid", uid);
        s.load();
        s.attachAll();
        if (!s.json()) {
            if (timestamp) row.left("TIME(s)", 9);
            if (printUid) row.left("UID", 6);
            row.left("PID", 7).left("COMM", 16).left("IP", 2).left("SADDR", 16).left("DADDR", 16).end("DPORT")
                    .println(s.out());
        }
        long start = System.nanoTime();
        s.onEvents("events", s.eventType("connect", "event"), e -> print(s, e, start));
        s.loop(duration.get(), null, null, null);
        return 0;
    }

    private void print(ToolSession s, TraceEvent e, long start) {
        BtfRecord r = e.record();
        long dport = r.getLong("dport");
        if (ports != null && !ports.contains((int) dport)) return;
        long family = r.getLong("family");
        String saddr = Sockets.address(family, r.get("saddr")), daddr = Sockets.address(family, r.get("daddr"));
        int ip = family == Sockets.AF_INET ? 4 : 6;
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "connect");
            m.put("pid", r.getLong("pid"));
            m.put("comm", r.getString("comm"));
            m.put("uid", r.getLong("uid"));
            m.put("ip", ip);
            m.put("saddr", saddr);
            m.put("sport", r.getLong("sport"));
            m.put("daddr", daddr);
            m.put("dport", dport);
            s.printJson(m);
            return;
        }
        if (timestamp) row.column(String.format("%-9.3f", (e.timestampNs() - start) / 1e9));
        if (printUid) row.left(r.getLong("uid"), 6);
        row.left(r.getLong("pid"), 7).left(r.getString("comm"), 16).left(ip, 2).left(saddr, 16).left(daddr, 16)
                .end(String.valueOf(dport)).println(s.out());
    }
}
