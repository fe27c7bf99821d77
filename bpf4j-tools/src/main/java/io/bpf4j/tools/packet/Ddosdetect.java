package io.bpf4j.tools.packet;

import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.link.Xdp;
import io.bpf4j.output.EventType;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code ddosdetect}: a packet-rate alarm, as bcc's dddos example: it counts received packets in fixed windows
 * ({@code --window} ms) and prints an alarm line — time, measured rate, packets — as soon as a window holds more
 * than {@code --threshold} packets per second's worth; at most one alarm per window.
 *
 * <p>With {@code -i IFACE} it counts with XDP (generic mode) on that interface; without it, every packet any
 * interface receives, at the {@code net:netif_receive_skb} tracepoint (tp_btf; bcc's example used a kprobe on
 * ip_rcv, which counts IPv4 only). The rate printed is the packets counted since the window began divided by the
 * time since then, so early in a window it is the burst rate. The window is shared by all CPUs: a packet counted
 * while another CPU opens the next window may be counted in either.
 */
@Command(name = "ddosdetect", mixinStandardHelpOptions = true,
        description = "Alarm when the received packet rate exceeds a threshold.",
        footer = {"", "Examples:",
                "  bpf4j ddosdetect --threshold 100000           # all interfaces",
                "  bpf4j ddosdetect -i eth0 --threshold 50000 --window 100"})
public final class Ddosdetect extends Tool {
    @Option(names = {"-i", "--interface"}, paramLabel = "IFACE",
            description = "Count with XDP on this interface (default: all interfaces, at net:netif_receive_skb).")
    String iface;

    @Option(names = "--threshold", paramLabel = "PPS", defaultValue = "100000", converter = OptionTypes.Rate.class,
            description = "Alarm above this many packets per second. Default: ${DEFAULT-VALUE}.")
    long threshold;

    @Option(names = "--window", paramLabel = "MS", defaultValue = "1000", converter = OptionTypes.PositiveMillis.class,
            description = "Measure the rate over windows of this many milliseconds. Default: ${DEFAULT-VALUE}.")
    long windowMs;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", converter = OptionTypes.Seconds.class,
            description = "Watch for this long.")
    Duration duration;

    @Override
    protected int run(ToolSession s) {
        // at most 10^12 pps over a day's window: the product fits in a long
        long limit = Math.max(1, Math.ceilDiv(threshold * windowMs, 1000));
        s.object("ddosdetect");
        s.set("window_ns", windowMs * 1_000_000L);
        s.set("limit", limit);
        s.autoload(iface == null ? "ddos_xdp" : "ddos_rx", false);
        s.load();
        String hook;
        if (iface == null) {
            s.attach("ddos_rx");
            hook = "net:netif_receive_skb (all interfaces)";
        } else {
            s.keep(Xdp.attach(s.loaded().program("ddos_xdp"), iface, Xdp.Mode.GENERIC));
            hook = "XDP on " + iface;
        }
        EventType alarm = s.eventType("alarm", "event");
        PrintWriter out = s.out();
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("hook", hook);
            m.put("threshold_pps", threshold);
            m.put("window_ms", windowMs);
            s.printJson(m);
        } else {
            out.printf("Watching the packet rate at %s: alarm above %d pps (%d packets in a %d ms window). "
                    + "Ctrl-C to end.%n", hook, threshold, limit, windowMs);
            out.printf("%-12s %-12s %-10s %s%n", "TIME", "RATE(pps)", "PACKETS", "IN(ms)");
        }
        out.flush();
        long[] alarms = new long[1];
        s.onEvents("events", alarm, e -> {
            alarms[0]++;
            print(s, e);
        });
        s.loop(duration, null, null, null);
        long packets = Aggregates.sumPerCpu(s.map("total"), 0);
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("packets", packets);
            m.put("alarms", alarms[0]);
            s.printJson(m);
        } else {
            s.err().printf("ddosdetect: %d packets seen, %d alarm(s)%n", packets, alarms[0]);
        }
        return 0;
    }

    private void print(ToolSession s, TraceEvent e) {
        BtfRecord r = e.record();
        long packets = r.getLong("packets");
        long elapsed = Math.max(1, r.getLong("elapsed_ns"));
        long rate = (long) (packets * 1e9 / elapsed);
        String time = LocalTime.now().format(DateTimeFormatter.ofPattern("HH:mm:ss.SSS"));
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("event", "alarm");
            m.put("time", time);
            m.put("rate_pps", rate);
            m.put("packets", packets);
            m.put("elapsed_ns", elapsed);
            m.put("threshold_pps", threshold);
            s.printJson(m);
        } else {
            s.out().printf("%-12s %-12d %-10d %.3f  DDOS ALARM: rate above %d pps%n", time, rate, packets,
                    elapsed / 1e6, threshold);
        }
    }
}
