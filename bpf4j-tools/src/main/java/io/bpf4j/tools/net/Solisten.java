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
 * {@code solisten}: every TCP socket that starts listening, with its process, network namespace, protocol,
 * backlog, address and port — bcc's solisten and the source documents' inet_listen example. It watches the
 * socket's move to {@code TCP_LISTEN} ({@code tp_btf/inet_sock_set_state}), which happens inside the listen()
 * call: a kprobe on {@code inet_listen} is not needed (and this kernel has none).
 */
@Command(name = "solisten", mixinStandardHelpOptions = true,
        description = "Trace TCP sockets starting to listen: process, netns, protocol, backlog, address, port.")
public final class Solisten extends Tool {
    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Trace this process only.")
    Integer pid;

    @Mixin
    CommonOptions.TraceDuration duration;

    private final Row row = new Row();

    @Override
    protected int run(ToolSession s) {
        s.object("solisten");
        if (pid != null) s.set("targ_pid", pid);
        s.load();
        s.attachAll();
        if (!s.json()) {
            row.left("PID", 7).left("COMM", 16).left("NETNS", 12).left("PROTO", 6).left("BACKLOG", 8)
                    .left("ADDR", 39).end("PORT").println(s.out());
        }
        s.onEvents("events", s.eventType("listen", "event"), e -> print(s, e));
        s.loop(duration.get(), null, null, null);
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        BtfRecord r = e.record();
        long family = r.getLong("family");
        String proto = family == Sockets.AF_INET ? "TCPv4" : "TCPv6";
        String addr = Sockets.address(family, r.get("addr"));
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "listen");
            m.put("pid", r.getLong("pid"));
            m.put("comm", r.getString("comm"));
            m.put("netns", r.getLong("netns"));
            m.put("proto", proto);
            m.put("backlog", r.getLong("backlog"));
            m.put("addr", addr);
            m.put("port", r.getLong("port"));
            s.printJson(m);
            return;
        }
        row.left(r.getLong("pid"), 7).left(r.getString("comm"), 16).left(r.getLong("netns"), 12).left(proto, 6)
                .left(r.getLong("backlog"), 8).left(addr, 39).end(String.valueOf(r.getLong("port"))).println(s.out());
    }
}
