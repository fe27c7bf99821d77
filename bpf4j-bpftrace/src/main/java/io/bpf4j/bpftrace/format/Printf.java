package io.bpf4j.bpftrace.format;


import java.util.ArrayList;
import java.util.List;

/**
 * printf as bpftrace does it: C conversions ({@code %d %i %u %x %X %o %c %s %p %%}) with flags ({@code -0+ #}),
 * width, precision and the length modifiers {@code l ll h hh z j t} (which change nothing: every integer travels
 * as 64 bits). The format is checked against the argument types at compile time and applied in user space to the
 * values a program sent.
 */
public final class Printf {
    private Printf() {
    }

    /** One piece of a format: literal text, or a conversion. */
    private sealed interface Piece {
    }

    private record Text(String text) implements Piece {
    }

    private record Conversion(String flags, int width, int precision, char conversion) implements Piece {
        /** No flags, width or precision: the value as it is. */
        boolean plain() {
            return flags.isEmpty() && width == 0 && precision < 0;
        }
    }

    /**
     * The conversion characters of {@code format}, in order ({@code %%} is text, not a conversion): what the checker
     * matches the arguments' types against.
     *
     * @throws IllegalArgumentException when the format is malformed
     */
    public static List<Character> conversions(String format) {
        return parse(format).stream().filter(p -> p instanceof Conversion).map(p -> ((Conversion) p).conversion())
                .toList();
    }

    /**
     * Formats {@code values} (Long for integers, String for strings) with {@code format}.
     *
     * @throws IllegalArgumentException when the format is malformed
     */
    public static String format(String format, List<Object> values) {
        return compile(format).apply(values);
    }

    /**
     * {@code format} parsed once, to apply to every record a printf sends: parsing it again for each one cost a
     * third of the time bt spent per event under a flood.
     *
     * @throws IllegalArgumentException when the format is malformed
     */
    public static Format compile(String format) {
        return new Format(parse(format));
    }

    /** A parsed format (see {@link #compile}). */
    public static final class Format {
        private final List<Piece> pieces;

        private Format(List<Piece> pieces) {
            this.pieces = List.copyOf(pieces);
        }

        /** Formats {@code values} (Long for integers, String for strings). */
        public String apply(List<Object> values) {
            StringBuilder sb = new StringBuilder();
            int next = 0;
            for (Piece p : pieces) {
                switch (p) {
                    case Text t -> sb.append(t.text());
                    case Conversion c -> {
                        Object value = values.get(next++);
                        // plain %d and %s, most printfs' conversions, appended without intermediate strings
                        if (c.plain() && (c.conversion() == 'd' || c.conversion() == 'i') && value instanceof Long l) {
                            sb.append((long) l);
                        } else if (c.plain() && c.conversion() == 's' && value instanceof String str) {
                            sb.append(str);
                        } else {
                            sb.append(convert(c, value));
                        }
                    }
                }
            }
            return sb.toString();
        }
    }

    private static String convert(Conversion c, Object value) {
        boolean left = c.flags().indexOf('-') >= 0;
        boolean zero = c.flags().indexOf('0') >= 0 && !left;
        String body;
        String sign = "";
        String prefix = "";
        if (c.conversion() == 'r' || c.conversion() == 'y' || c.conversion() == 'z') {
            body = value instanceof RawBuffer r ? switch (c.conversion()) {
                case 'y' -> r.escaped();
                case 'z' -> r.hex();
                default -> r.toString();
            } : String.valueOf(value);
            zero = false;
        } else if (c.conversion() == 's') {
            body = value instanceof Long l ? Long.toString(l) : String.valueOf(value);
            if (c.precision() >= 0 && body.length() > c.precision()) body = body.substring(0, c.precision());
            zero = false;
        } else if (c.conversion() == 'c') {
            body = String.valueOf((char) asLong(value));
            zero = false;
        } else {
            long v = asLong(value);
            switch (c.conversion()) {
                case 'd', 'i' -> {
                    body = v < 0 ? Long.toString(v).substring(1) : Long.toString(v);
                    if (v < 0) sign = "-";
                    else if (c.flags().indexOf('+') >= 0) sign = "+";
                    else if (c.flags().indexOf(' ') >= 0) sign = " ";
                }
                case 'u' -> body = Long.toUnsignedString(v);
                case 'x' -> {
                    body = Long.toHexString(v);
                    if (c.flags().indexOf('#') >= 0 && v != 0) prefix = "0x";
                }
                case 'X' -> {
                    body = Long.toHexString(v).toUpperCase(java.util.Locale.ROOT);
                    if (c.flags().indexOf('#') >= 0 && v != 0) prefix = "0X";
                }
                case 'o' -> {
                    body = Long.toOctalString(v);
                    if (c.flags().indexOf('#') >= 0 && v != 0) prefix = "0";
                }
                case 'p' -> {
                    body = Long.toHexString(v);
                    prefix = "0x";
                }
                default -> throw new IllegalStateException("unchecked conversion %" + c.conversion());
            }
            if (c.precision() >= 0) {
                zero = false;
                if (body.length() < c.precision()) body = "0".repeat(c.precision() - body.length()) + body;
            }
        }
        int len = sign.length() + prefix.length() + body.length();
        if (len >= c.width()) return sign + prefix + body;
        String pad = (zero ? "0" : " ").repeat(c.width() - len);
        if (left) return sign + prefix + body + pad;
        return zero ? sign + prefix + pad + body : pad + sign + prefix + body;
    }

    private static long asLong(Object value) {
        return value instanceof Long l ? l : 0;
    }

    private static List<Piece> parse(String format) {
        List<Piece> pieces = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        int i = 0;
        while (i < format.length()) {
            char ch = format.charAt(i);
            if (ch != '%') {
                text.append(ch);
                i++;
                continue;
            }
            if (i + 1 < format.length() && format.charAt(i + 1) == '%') {
                text.append('%');
                i += 2;
                continue;
            }
            int start = i++;
            StringBuilder flags = new StringBuilder();
            while (i < format.length() && "-0+ #".indexOf(format.charAt(i)) >= 0) flags.append(format.charAt(i++));
            int width = 0;
            while (i < format.length() && Character.isDigit(format.charAt(i))) {
                width = width * 10 + format.charAt(i++) - '0';
            }
            int precision = -1;
            if (i < format.length() && format.charAt(i) == '.') {
                i++;
                precision = 0;
                while (i < format.length() && Character.isDigit(format.charAt(i))) {
                    precision = precision * 10 + format.charAt(i++) - '0';
                }
            }
            while (i < format.length() && "lhzjt".indexOf(format.charAt(i)) >= 0) i++;
            if (i >= format.length()) {
                throw new IllegalArgumentException("printf: incomplete conversion '" + format.substring(start)
                        + "' at the end of the format");
            }
            char conv = format.charAt(i++);
            if (conv == 'r' && i < format.length() && (format.charAt(i) == 'x' || format.charAt(i) == 'h')) {
                conv = format.charAt(i++) == 'x' ? 'y' : 'z'; // %rx and %rh, told apart from %r
            }
            if ("diuxXocspryz".indexOf(conv) < 0) {
                throw new IllegalArgumentException("printf: unsupported conversion '" + format.substring(start, i)
                        + "'; supported: %d %i %u %x %X %o %c %s %p %r %rx %rh %%");
            }
            if (!text.isEmpty()) {
                pieces.add(new Text(text.toString()));
                text.setLength(0);
            }
            pieces.add(new Conversion(flags.toString(), width, precision, conv));
        }
        if (!text.isEmpty()) pieces.add(new Text(text.toString()));
        return pieces;
    }
}
