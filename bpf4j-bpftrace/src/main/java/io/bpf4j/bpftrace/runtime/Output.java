package io.bpf4j.bpftrace.runtime;

import io.bpf4j.bpftrace.check.MapInfo;
import io.bpf4j.bpftrace.check.MapKind;
import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.output.Json;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes what a running program produces the way bpftrace does, as text or as JSON lines ({@code -f json}):
 * printf output, the "Attaching N probes..." line, printed maps with their histograms and statistics.
 */
public final class Output {
    private static final int BAR_WIDTH = 52;

    private final PrintWriter out;
    private final boolean json;

    /**
     * @param out  where to write
     * @param json JSON lines instead of text
     */
    public Output(PrintWriter out, boolean json) {
        this.out = out;
        this.json = json;
    }

    /**
     * The result of a printf. Not flushed: under a flood a write per event would cost more than formatting it;
     * the caller {@linkplain #flush() flushes} after each batch of events it delivered.
     */
    public void printf(String text) {
        if (json) out.println("{\"type\": \"printf\", \"data\": " + Json.write(text) + "}");
        else out.print(text);
    }

    /** Writes out what {@link #printf} left in the writer's buffer. */
    public void flush() {
        out.flush();
    }

    /** {@code print(value)} of a value that is not a map. */
    public void value(Object value) {
        if (json) {
            String v = value instanceof Composite c ? c.json() : value instanceof String s ? Json.write(s)
                    : String.valueOf(value);
            out.println("{\"type\": \"value\", \"data\": " + v + "}");
        } else {
            out.println(value);
        }
        out.flush();
    }

    /** {@code join()}'s line. */
    public void join(String text) {
        if (json) typed("join", text);
        else typed("join", text + "\n");
    }

    /** {@code time()}'s text. */
    public void time(String text) {
        typed("time", text);
    }

    /** {@code system()}'s output. */
    public void system(String text) {
        typed("syscall", text);
    }

    /** {@code cat()}'s output. */
    public void cat(String text) {
        typed("cat", text);
    }

    private void typed(String type, String text) {
        if (json) out.println("{\"type\": \"" + type + "\", \"data\": " + Json.write(text) + "}");
        else out.print(text);
        out.flush();
    }

    /** "Attaching N probes...". */
    public void attached(int probes) {
        if (json) out.println("{\"type\": \"attached_probes\", \"data\": {\"probes\": " + probes + "}}");
        else out.println("Attaching " + probes + (probes == 1 ? " probe..." : " probes..."));
        out.flush();
    }

    /** Events the programs could not send. */
    public void lost(long events) {
        if (json) out.println("{\"type\": \"lost_events\", \"data\": {\"events\": " + events + "}}");
        else out.println("Lost " + events + " events");
    }

    /** The blank lines bpftrace writes between the end of tracing and the maps it prints at exit. */
    public void exitSeparator() {
        out.print("\n\n");
    }

    /** One map, as {@code print(@map)} and the exit print it. */
    public void map(MapInfo info, Map<List<Object>, Object> values) {
        map(info, values, 1);
    }

    /** One map with its integer values divided by {@code divisor}, as {@code print(@map, top, divisor)}. */
    public void map(MapInfo info, Map<List<Object>, Object> values, long divisor) {
        Map<List<Object>, Object> shown = values;
        if (divisor > 1) {
            shown = new java.util.LinkedHashMap<>();
            for (Map.Entry<List<Object>, Object> e : values.entrySet()) {
                Object v = e.getValue();
                if (v instanceof Long l) v = l / divisor;
                else if (v instanceof Stats st) v = new Stats(st.count(), st.total() / divisor);
                shown.put(e.getKey(), v);
            }
        }
        if (json) jsonMap(info, shown);
        else textMap(info, shown);
        out.flush();
    }

    private void textMap(MapInfo info, Map<List<Object>, Object> values) {
        List<String> elems = new ArrayList<>();
        for (Map.Entry<List<Object>, Object> e : values.entrySet()) {
            String key = info.name() + keyText(e.getKey());
            elems.add(key + ": " + switch (info.kind()) {
                case HIST -> "\n" + histText((long[]) e.getValue());
                case LHIST -> "\n" + lhistText((long[]) e.getValue(), info);
                case AVG -> Long.toString(((Stats) e.getValue()).average());
                case STATS -> {
                    Stats s = (Stats) e.getValue();
                    yield "count " + s.count() + ", average " + s.average() + ", total " + s.total();
                }
                default -> valueText(info, e.getValue());
            });
        }
        out.print(String.join("\n", elems));
        out.print(info.kind() == MapKind.AVG || info.kind() == MapKind.STATS ? "\n\n" : "\n");
    }

    private static String keyText(List<Object> key) {
        if (key.isEmpty()) return "";
        List<String> parts = new ArrayList<>();
        for (Object k : key) {
            parts.add(k instanceof Composite c ? c.key() : k instanceof StackTrace st ? st.key() : String.valueOf(k));
        }
        return "[" + String.join(", ", parts) + "]";
    }

    private static String valueText(MapInfo info, Object value) {
        if (value instanceof Long l) {
            boolean unsigned = info.kind() == MapKind.COUNT
                    || info.kind() == MapKind.VALUE && info.value() instanceof Type.Int i && !i.signed();
            return unsigned ? Long.toUnsignedString(l) : Long.toString(l);
        }
        return String.valueOf(value);
    }

    /** bpftrace's power-of-two bucket label: 1, 2…512, 1K…, 1M…, 1G…, 1T… */
    private static String powerLabel(int power) {
        String suffix = "";
        for (String s : new String[] {"T", "G", "M", "K"}) {
            int p = switch (s) {
                case "T" -> 40;
                case "G" -> 30;
                case "M" -> 20;
                default -> 10;
            };
            if (power >= p) {
                power -= p;
                suffix = s;
                break;
            }
        }
        return (1L << power) + suffix;
    }

    private static String linearLabel(long n) {
        if (n == 0) return "0";
        if (n % 1048576 == 0) return n / 1048576 + "M";
        if (n % 1024 == 0) return n / 1024 + "K";
        return Long.toString(n);
    }

    private static String histText(long[] b) {
        int min = -1;
        int max = -1;
        long top = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] > 0) {
                if (min == -1) min = i;
                max = i;
            }
            top = Math.max(top, b[i]);
        }
        if (max == -1) return "";
        StringBuilder sb = new StringBuilder();
        for (int i = min; i <= max; i++) {
            String header = switch (i) {
                case 0 -> "(..., 0)";
                case 1 -> "[0]";
                case 2 -> "[1]";
                default -> "[" + powerLabel(i - 2) + ", " + powerLabel(i - 1) + ")";
            };
            row(sb, header, b[i], top);
        }
        return sb.toString();
    }

    private static String lhistText(long[] b, MapInfo info) {
        int buckets = info.lhistBuckets();
        int start = -1;
        int end = 0;
        long top = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] > 0) {
                if (start == -1) start = i;
                end = i;
            }
            top = Math.max(top, b[i]);
        }
        if (start == -1) return "";
        StringBuilder sb = new StringBuilder();
        for (int i = start; i <= end; i++) {
            String header;
            if (i == 0) header = "(..., " + linearLabel(info.lhistMin()) + ")";
            else if (i == buckets + 1) header = "[" + linearLabel(info.lhistMax()) + ", ...)";
            else header = "[" + linearLabel((i - 1) * info.lhistStep() + info.lhistMin()) + ", "
                        + linearLabel(i * info.lhistStep() + info.lhistMin()) + ")";
            row(sb, header, b[i], top);
        }
        return sb.toString();
    }

    private static void row(StringBuilder sb, String header, long count, long top) {
        int bar = top == 0 ? 0 : (int) (count / (float) top * BAR_WIDTH);
        sb.append(String.format("%-16s%8d |%-52s|%n", header, count, "@".repeat(bar)));
    }

    // ---- JSON ----

    private void jsonMap(MapInfo info, Map<List<Object>, Object> values) {
        if (values.isEmpty()) return;
        String type = switch (info.kind()) {
            case HIST, LHIST -> "hist";
            case AVG, STATS -> "stats";
            default -> "map";
        };
        List<String> elems = new ArrayList<>();
        for (Map.Entry<List<Object>, Object> e : values.entrySet()) {
            String value = switch (info.kind()) {
                case HIST -> histJson((long[]) e.getValue());
                case LHIST -> lhistJson((long[]) e.getValue(), info);
                case AVG -> Long.toString(((Stats) e.getValue()).average());
                case STATS -> {
                    Stats s = (Stats) e.getValue();
                    yield "{\"count\": " + s.count() + ", \"average\": " + s.average() + ", \"total\": " + s.total()
                            + "}";
                }
                default -> e.getValue() instanceof String s ? Json.write(s)
                        : e.getValue() instanceof Composite c ? c.json() : valueText(info, e.getValue());
            };
            if (e.getKey().isEmpty()) {
                elems.add(value);
            } else {
                List<String> parts = new ArrayList<>();
                for (Object k : e.getKey()) parts.add(String.valueOf(k));
                elems.add(Json.write(String.join(",", parts)) + ": " + value);
            }
        }
        boolean keyed = !info.keys().isEmpty();
        out.println("{\"type\": \"" + type + "\", \"data\": {" + Json.write(info.name()) + ": " + (keyed ? "{" : "")
                + String.join(", ", elems) + (keyed ? "}" : "") + "}}");
    }

    private static String histJson(long[] b) {
        List<String> elems = new ArrayList<>();
        int min = -1;
        int max = -1;
        for (int i = 0; i < b.length; i++) {
            if (b[i] > 0) {
                if (min == -1) min = i;
                max = i;
            }
        }
        for (int i = min; i <= max && max >= 0; i++) {
            String range = switch (i) {
                case 0 -> "\"max\": -1, ";
                case 1 -> "\"min\": 0, \"max\": 0, ";
                case 2 -> "\"min\": 1, \"max\": 1, ";
                default -> "\"min\": " + (1L << (i - 2)) + ", \"max\": " + ((1L << (i - 1)) - 1) + ", ";
            };
            elems.add("{" + range + "\"count\": " + b[i] + "}");
        }
        return "[" + String.join(", ", elems) + "]";
    }

    private static String lhistJson(long[] b, MapInfo info) {
        int buckets = info.lhistBuckets();
        int start = -1;
        int end = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] > 0) {
                if (start == -1) start = i;
                end = i;
            }
        }
        List<String> elems = new ArrayList<>();
        for (int i = start; i <= end && start >= 0; i++) {
            String range;
            if (i == 0) range = "\"max\": " + (info.lhistMin() - 1) + ", ";
            else if (i == buckets + 1) range = "\"min\": " + info.lhistMax() + ", ";
            else range = "\"min\": " + ((i - 1) * info.lhistStep() + info.lhistMin()) + ", \"max\": "
                        + (i * info.lhistStep() + info.lhistMin() - 1) + ", ";
            elems.add("{" + range + "\"count\": " + b[i] + "}");
        }
        return "[" + String.join(", ", elems) + "]";
    }
}
