package io.bpf4j.tools.trace;

import io.bpf4j.tools.UsageError;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A C printf format applied in Java: conversions {@code d i u x X o c s p} and {@code %%}, with flags
 * ({@code - 0 + space #}), width, precision and length modifiers ({@code hh h l ll z j t}). As in C, a value
 * printed without {@code l}/{@code ll}/{@code z} is cut to an int ({@code h}: short, {@code hh}: char).
 */
final class Printf {
    private static final Pattern CONV = Pattern.compile("%([-0+ #]*)(\\d*)(?:\\.(\\d+))?(hh|h|ll|l|z|j|t)?([diuxXocsp%])");

    private record Conv(String flags, String width, String precision, String length, char conv) {
    }

    private final List<Object> parts = new ArrayList<>();
    private final int conversions;

    Printf(String format) {
        Matcher m = CONV.matcher(format);
        int at = 0, n = 0;
        while (m.find()) {
            if (m.start() > at) parts.add(format.substring(at, m.start()));
            if (m.group(5).equals("%")) {
                parts.add("%");
            } else {
                parts.add(new Conv(m.group(1), m.group(2), m.group(3), m.group(4) == null ? "" : m.group(4),
                        m.group(5).charAt(0)));
                n++;
            }
            at = m.end();
        }
        if (at < format.length()) {
            String tail = format.substring(at);
            if (tail.contains("%")) throw new UsageError("unsupported conversion in '" + format
                    + "' (supported: %d %i %u %x %X %o %c %s %p %%)");
            parts.add(tail);
        }
        conversions = n;
    }

    /** The number of values the format takes. */
    int conversions() {
        return conversions;
    }

    /** Whether the {@code i}-th conversion is {@code %s}. */
    boolean isString(int i) {
        int n = 0;
        for (Object p : parts) {
            if (p instanceof Conv c && n++ == i) return c.conv == 's';
        }
        return false;
    }

    /** The formatted text. */
    String format(List<Object> values) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        for (Object p : parts) {
            if (p instanceof String s) b.append(s);
            else b.append(convert((Conv) p, values.get(i++)));
        }
        return b.toString();
    }

    private static String convert(Conv c, Object value) {
        if (c.conv == 's') {
            String s = String.valueOf(value);
            if (c.precision != null) s = s.substring(0, Math.min(s.length(), Integer.parseInt(c.precision)));
            return pad(s, c, false);
        }
        long v = value instanceof Long l ? l : 0;
        if (value instanceof String) throw new IllegalArgumentException("%" + c.conv + " given the string '" + value
                + "'");
        boolean wide = c.length.equals("l") || c.length.equals("ll") || c.length.equals("z") || c.length.equals("j")
                || c.length.equals("t");
        boolean signed = c.conv == 'd' || c.conv == 'i';
        if (!wide && c.conv != 'p') {
            v = switch (c.length) {
                case "h" -> signed ? (short) v : v & 0xffff;
                case "hh" -> signed ? (byte) v : v & 0xff;
                default -> signed ? (int) v : v & 0xffffffffL;
            };
        }
        String body = switch (c.conv) {
            case 'd', 'i' -> Long.toString(v);
            case 'u' -> Long.toUnsignedString(v);
            case 'x' -> (c.flags.contains("#") && v != 0 ? "0x" : "") + Long.toHexString(v);
            case 'X' -> (c.flags.contains("#") && v != 0 ? "0X" : "") + Long.toHexString(v).toUpperCase();
            case 'o' -> (c.flags.contains("#") ? "0" : "") + Long.toOctalString(v);
            case 'c' -> String.valueOf((char) (v & 0xff));
            default -> "0x" + Long.toHexString(v); // p
        };
        if (signed && v >= 0 && c.flags.contains("+")) body = "+" + body;
        else if (signed && v >= 0 && c.flags.contains(" ")) body = " " + body;
        return pad(body, c, c.conv != 'c');
    }

    private static String pad(String body, Conv c, boolean numeric) {
        int width = c.width.isEmpty() ? 0 : Integer.parseInt(c.width);
        if (body.length() >= width) return body;
        String fill = " ".repeat(width - body.length());
        if (c.flags.contains("-")) return body + fill;
        if (numeric && c.flags.contains("0")) {
            int sign = body.startsWith("-") || body.startsWith("+") || body.startsWith(" ") ? 1
                    : body.startsWith("0x") || body.startsWith("0X") ? 2 : 0;
            return body.substring(0, sign) + "0".repeat(width - body.length()) + body.substring(sign);
        }
        return fill + body;
    }
}
