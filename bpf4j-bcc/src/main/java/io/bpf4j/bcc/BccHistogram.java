package io.bpf4j.bcc;

import java.util.Locale;

/**
 * bcc's histogram text ({@code table.py}'s {@code _print_log2_hist} and {@code _print_linear_hist}), kept to bcc's
 * own slot layout: a log2 table's slot {@code i > 0} counts values in {@code [2^(i-1), 2^i - 1]} (what bcc's
 * {@code bpf_log2l()} stores: {@code log2(v) + 1}), slot 0 counts zeros and is never printed but does scale the
 * stars, as in bcc. (bpf4j-output's {@code Histogram} follows libbpf-tools' layout, one slot lower, and sizes its
 * columns by that layout, so it does not print a bcc table byte for byte.)
 */
final class BccHistogram {
    /** bcc's {@code stars_max}. */
    private static final int STARS_MAX = 40;

    private BccHistogram() {
    }

    /** {@code _print_log2_hist(vals, valType, stripLeadingZero)}: the text, each line ending in a newline. */
    static String log2(long[] vals, String valType, boolean stripLeadingZero) {
        int idxMax = -1;
        long valMax = 0;
        for (int i = 0; i < vals.length; i++) {
            if (vals[i] > 0) idxMax = i;
            if (vals[i] > valMax) valMax = vals[i];
        }
        boolean narrow = idxMax <= 32;
        int stars = narrow ? STARS_MAX : STARS_MAX / 2;
        StringBuilder sb = new StringBuilder();
        if (idxMax > 0) {
            sb.append(narrow ? String.format(Locale.ROOT, "     %-19s : count     distribution%n", valType)
                    : String.format(Locale.ROOT, "               %-29s : count     distribution%n", valType));
        }
        boolean strip = stripLeadingZero;
        for (int i = 1; i <= idxMax; i++) {
            // bcc computes in Python's unbounded integers: slot 64 reaches 2^64 - 1
            java.math.BigInteger high = java.math.BigInteger.ONE.shiftLeft(i).subtract(java.math.BigInteger.ONE);
            java.math.BigInteger low = java.math.BigInteger.ONE.shiftLeft(i).shiftRight(1);
            if (low.equals(high)) low = low.subtract(java.math.BigInteger.ONE);
            long val = vals[i];
            if (strip && val == 0) continue;
            strip = false;
            String bar = stars(val, valMax, stars);
            sb.append(narrow
                    ? String.format(Locale.ROOT, "%10d -> %-10d : %-8d |%-" + stars + "s|%n", low, high, val, bar)
                    : String.format(Locale.ROOT, "%20d -> %-20d : %-8d |%-" + stars + "s|%n", low, high, val, bar));
        }
        return sb.toString();
    }

    /** {@code _print_linear_hist(vals, valType, stripLeadingZero)}: bucket {@code i} is printed as {@code i}. */
    static String linear(long[] vals, String valType, boolean stripLeadingZero) {
        int idxMax = -1;
        long valMax = 0;
        for (int i = 0; i < vals.length; i++) {
            if (vals[i] > 0) idxMax = i;
            if (vals[i] > valMax) valMax = vals[i];
        }
        StringBuilder sb = new StringBuilder();
        if (idxMax >= 0) sb.append(String.format(Locale.ROOT, "     %-13s : count     distribution%n", valType));
        boolean strip = stripLeadingZero;
        for (int i = 0; i <= idxMax; i++) {
            long val = vals[i];
            if (strip && val == 0) continue;
            strip = false;
            sb.append(String.format(Locale.ROOT, "        %-10d : %-8d |%-" + STARS_MAX + "s|%n", i, val,
                    stars(val, valMax, STARS_MAX)));
        }
        return sb.toString();
    }

    /** bcc's {@code _stars}: one star per {@code width/valMax} of {@code val}, at most {@code width}. */
    static String stars(long val, long valMax, int width) {
        if (valMax == 0) return "";
        double limit = (double) width * val / valMax - 1;
        int n = 0;
        while (n <= limit && n <= width - 1) n++;
        return "*".repeat(n);
    }
}
