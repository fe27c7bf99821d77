package io.bpf4j.tools.packet;

import io.bpf4j.core.Codec;
import io.bpf4j.core.LpmKey;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.format.IoErrors;
import io.bpf4j.core.link.Xdp;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Targets;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code xdpfilter}: drops, with XDP on one interface, every IPv4 or IPv6 packet whose source address falls in a
 * deny list of addresses and CIDR prefixes (two LPM-trie maps, longest-prefix match), and prints the per-CPU
 * dropped and passed counters every interval; on exit it prints the drops per prefix and detaches.
 *
 * <p>Only the source address of the outer header is matched (after at most one VLAN tag); packets that are not
 * IP (ARP…) always pass. In generic ({@code skb}) mode, which works on every interface including {@code lo} and
 * veth, the program runs after the kernel has built the socket buffer, so it saves less work than native mode.
 */
@Command(name = "xdpfilter", mixinStandardHelpOptions = true,
        description = "Drop packets from listed source addresses/CIDRs with XDP; print drop/pass counters.",
        footer = {"", "Examples:",
                "  bpf4j xdpfilter -i lo 127.0.0.2          # counters every second",
                "  bpf4j xdpfilter -i eth0 -f deny.txt 5 3  # from a file, every 5 s, 3 times",
                "  bpf4j xdpfilter -i veth0 10.0.0.0/8 2001:db8::/32 --mode native"})
public final class Xdpfilter extends Tool {
    @Option(names = {"-i", "--interface"}, paramLabel = "IFACE", required = true,
            description = "The network interface to filter.")
    String iface;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Read addresses/CIDRs from FILE (one a line; '#' starts a comment).")
    Path file;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "skb",
            description = "XDP mode: skb (generic, any interface) or native (driver). Default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", converter = OptionTypes.Seconds.class,
            description = "Filter for this long.")
    Duration duration;

    @Parameters(paramLabel = "ADDRESS|interval|count", arity = "0..*",
            description = "Addresses or CIDRs to drop (IPv4/IPv6), then the output interval in seconds "
                    + "(default 1) and the number of intervals.")
    List<String> params = new ArrayList<>();

    @Override
    protected int run(ToolSession s) throws IOException {
        List<LpmKey> prefixes = new ArrayList<>();
        List<String> numbers = new ArrayList<>();
        for (String p : params) {
            // the interval and count: numbers after the addresses (an address has dots or colons)
            if (p.matches("[-+]?\\d+")) numbers.add(p);
            else prefixes.add(prefix(p, null));
        }
        if (file != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read -f " + IoErrors.describe(e, file), e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).replaceAll("#.*", "").strip();
                if (!l.isEmpty()) prefixes.add(prefix(l, file + ":" + (i + 1)));
            }
        }
        if (prefixes.isEmpty()) throw new UsageError("no address or CIDR to drop (give some, or -f FILE)");
        if (numbers.size() > 2) throw new UsageError("expected at most: interval [count], got " + numbers);
        Xdp.Mode xdpMode = switch (mode) {
            case "skb", "generic" -> Xdp.Mode.GENERIC;
            case "native", "drv" -> Xdp.Mode.DRIVER;
            default -> throw new UsageError("--mode is skb or native, not '" + mode + "'");
        };
        int interval = numbers.isEmpty() ? 1 : number(numbers.get(0), new OptionTypes.Interval(), "interval");
        Integer count = numbers.size() > 1 ? number(numbers.get(1), new OptionTypes.Count(), "count") : null;

        s.object("xdpfilter");
        s.load();
        TypedMap<LpmKey, Long> deny4 = s.map("deny4").typed(LpmKey.IPV4, Codec.LONG);
        TypedMap<LpmKey, Long> deny6 = s.map("deny6").typed(LpmKey.IPV6, Codec.LONG);
        for (LpmKey k : prefixes) (k.data().length == 4 ? deny4 : deny6).put(canonical(k), 0L);
        s.keep(Xdp.attach(s.loaded().program("xdpfilter"), iface, xdpMode));
        s.watch(Targets.networkInterface(iface));

        TypedMap<Integer, List<Long>> counters = s.map("counters").perCpu(Codec.INT, Codec.LONG);
        PrintWriter out = s.out();
        if (!s.json()) {
            out.printf("Dropping packets from %d prefix(es) on %s (XDP %s mode). Ctrl-C to end.%n",
                    prefixes.size(), iface, mode);
        } else {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("attached", iface);
            m.put("mode", mode);
            m.put("prefixes", prefixes.size());
            s.printJson(m);
        }
        out.flush();
        long[] last = new long[2];
        Runnable report = () -> report(s, counters, last);
        s.loop(duration, Duration.ofSeconds(interval),
                count, report);
        printPrefixes(s, deny4, deny6);
        if (s.ended() != null) {
            throw new IllegalStateException(s.ended() + ": its XDP program went with it, and packets are no longer "
                    + "filtered; stopped");
        }
        return 0;
    }

    /** An address or CIDR to drop; {@code where} says where it was read (the file and line), null for the args. */
    private static LpmKey prefix(String text, String where) {
        try {
            return LpmKey.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageError((where == null ? "" : where + ": ") + e.getMessage());
        }
    }

    /** A positional number (interval, count) checked as the option types check theirs. */
    private static int number(String text, OptionTypes.IntRange type, String what) {
        try {
            return type.convert(text);
        } catch (picocli.CommandLine.TypeConversionException e) {
            throw new UsageError(what + ": " + e.getMessage());
        }
    }

    /** The prefix with its host bits cleared, as the trie keeps it (so that the per-prefix counts match). */
    private static LpmKey canonical(LpmKey k) {
        byte[] d = k.data();
        for (int bit = k.prefixLength(); bit < 8 * d.length; bit++) d[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        return new LpmKey(k.prefixLength(), d);
    }

    private static void report(ToolSession s, TypedMap<Integer, List<Long>> counters, long[] last) {
        List<Long> dropped = counters.get(0).orElse(List.of());
        List<Long> passed = counters.get(1).orElse(List.of());
        long d = dropped.stream().mapToLong(Long::longValue).sum();
        long p = passed.stream().mapToLong(Long::longValue).sum();
        String time = CommonOptions.time();
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("time", time);
            m.put("dropped", d);
            m.put("passed", p);
            m.put("dropped_per_cpu", dropped);
            m.put("passed_per_cpu", passed);
            s.printJson(m);
        } else {
            PrintWriter out = s.out();
            out.printf("%s dropped %d (+%d) passed %d (+%d)%n", time, d, d - last[0], p, p - last[1]);
            for (int cpu = 0; cpu < dropped.size(); cpu++) {
                out.printf("  cpu %d: dropped %d passed %d%n", cpu, dropped.get(cpu),
                        cpu < passed.size() ? passed.get(cpu) : 0);
            }
        }
        last[0] = d;
        last[1] = p;
    }

    private static void printPrefixes(ToolSession s, TypedMap<LpmKey, Long> deny4, TypedMap<LpmKey, Long> deny6) {
        Map<LpmKey, Long> all = new LinkedHashMap<>(deny4.getAll());
        all.putAll(deny6.getAll());
        if (s.json()) {
            Map<String, Object> m = new LinkedHashMap<>();
            all.forEach((k, v) -> m.put(k.toString(), v));
            s.printJson(Map.of("dropped_per_prefix", m));
            return;
        }
        PrintWriter out = s.out();
        out.printf("%-43s %s%n", "PREFIX", "DROPPED");
        all.forEach((k, v) -> out.printf("%-43s %d%n", k, v));
    }
}
