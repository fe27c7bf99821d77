package io.bpf4j.output;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A power-of-two or linear histogram, printed exactly as bcc's {@code print_log2_hist} and
 * {@code print_linear_hist} print them, or as JSON.
 *
 * <p>Power-of-two slots follow libbpf-tools' {@code log2l()}: slot 0 holds 0 and 1, slot {@code i > 0} holds
 * {@code [2^i, 2^(i+1) - 1]} — the BPF side increments {@code slots[log2(value)]} (see {@link #log2Slot(long)}).
 * The text is bcc's:
 * <pre>
 *      usecs               : count     distribution
 *          0 -> 1          : 3        |***                                     |
 *          2 -> 3          : 40       |****************************************|
 * </pre>
 * Rows run from the first slot to the last non-empty one; with more than 32 slots the columns widen and the bars
 * halve, as bcc does. Instances are immutable.
 */
public final class Histogram {
    /** How buckets divide the values. */
    public enum Scale {
        /** Bucket {@code i} holds {@code [2^i, 2^(i+1))} (bucket 0 also holds 0). */
        LOG2,
        /** Bucket {@code i} holds {@code [min + i*step, min + (i+1)*step)}. */
        LINEAR
    }

    private static final int STARS = 40;

    private final Scale scale;
    private final String unit;
    private final String label;
    private final long[] counts;
    private final long min;
    private final long step;

    private Histogram(Scale scale, String unit, String label, long[] counts, long min, long step) {
        this.scale = scale;
        this.unit = Objects.requireNonNull(unit, "unit");
        this.label = label;
        this.counts = counts.clone();
        this.min = min;
        this.step = step;
        if (step <= 0) throw new IllegalArgumentException("step must be positive: " + step);
    }

    /** A power-of-two histogram of {@code slots} (libbpf-tools' layout) whose values are in {@code unit}. */
    public static Histogram log2(String unit, long[] slots) {
        return new Histogram(Scale.LOG2, unit, null, slots, 0, 1);
    }

    /** A linear histogram: bucket {@code i} of {@code buckets} holds values from {@code min + i*step}. */
    public static Histogram linear(String unit, long[] buckets, long min, long step) {
        return new Histogram(Scale.LINEAR, unit, null, buckets, min, step);
    }

    /** The power-of-two slot of {@code value}: {@code floor(log2(value))}, 0 for 0 and 1 (unsigned). */
    public static int log2Slot(long value) {
        return value == 0 ? 0 : 63 - Long.numberOfLeadingZeros(value);
    }

    /**
     * This histogram under a label printed on the line before it, as bcc's {@code section_header}, e.g.
     * {@code "disk = 'vda'"} or {@code "pid = 1234 [java]"}.
     */
    public Histogram withLabel(String label) {
        return new Histogram(scale, unit, label, counts, min, step);
    }

    /** The scale. */
    public Scale scale() {
        return scale;
    }

    /** What the values measure, e.g. {@code usecs}. */
    public String unit() {
        return unit;
    }

    /** The label, or {@code null}. */
    public String label() {
        return label;
    }

    /** The bucket counts (a copy). */
    public long[] counts() {
        return counts.clone();
    }

    /** The sum of all counts. */
    public long total() {
        return Arrays.stream(counts).sum();
    }

    /** The lowest value bucket {@code i} holds. */
    public long low(int i) {
        return scale == Scale.LOG2 ? (i == 0 ? 0 : 1L << i) : min + i * step;
    }

    /** The highest value bucket {@code i} holds. */
    public long high(int i) {
        return scale == Scale.LOG2 ? (i >= 63 ? Long.MAX_VALUE : (1L << (i + 1)) - 1) : min + (i + 1) * step - 1;
    }

    /** The histogram as bcc prints it; empty when every count is 0 (bcc prints nothing then either). */
    public String text() {
        int last = -1;
        long max = 0;
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0) last = i;
            max = Math.max(max, counts[i]);
        }
        StringBuilder sb = new StringBuilder();
        if (last < 0) return "";
        if (label != null) sb.append(label).append('\n');
        if (scale == Scale.LOG2) {
            boolean wide = last > 32;
            int stars = wide ? STARS / 2 : STARS;
            sb.append(wide ? String.format("               %-29s : count     distribution%n", unit)
                    : String.format("     %-19s : count     distribution%n", unit));
            for (int i = 0; i <= last; i++) {
                sb.append(String.format(wide ? "%20d -> %-20d : %-8d |%-" + stars + "s|%n"
                                : "%10d -> %-10d : %-8d |%-" + stars + "s|%n",
                        low(i), high(i), counts[i], stars(counts[i], max, stars)));
            }
        } else {
            sb.append(String.format("     %-13s : count     distribution%n", unit));
            for (int i = 0; i <= last; i++) {
                sb.append(String.format("        %-10d : %-8d |%-" + STARS + "s|%n", low(i), counts[i],
                        stars(counts[i], max, STARS)));
            }
        }
        return sb.toString();
    }

    /** bcc's {@code _stars}: {@code floor(width * value / max)} stars. */
    private static String stars(long value, long max, int width) {
        if (max == 0) return "";
        int n = (int) Math.min(width, (long) ((double) width * value / max));
        return "*".repeat(n);
    }

    /**
     * The histogram as JSON-ready data: {@code {"unit", "label", "scale", "buckets": [{"low", "high", "count"}…]}}
     * with the buckets up to the last non-empty one.
     */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("unit", unit);
        if (label != null) m.put("label", label);
        m.put("scale", scale.name().toLowerCase(java.util.Locale.ROOT));
        List<Object> buckets = new ArrayList<>();
        int last = -1;
        for (int i = 0; i < counts.length; i++) if (counts[i] > 0) last = i;
        for (int i = 0; i <= last; i++) {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("low", low(i));
            b.put("high", high(i));
            b.put("count", counts[i]);
            buckets.add(b);
        }
        m.put("buckets", buckets);
        return m;
    }

    @Override
    public String toString() {
        return text();
    }
}
