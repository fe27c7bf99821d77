package io.bpf4j.bpftrace.runtime;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * C's {@code strftime} for {@code time()} and {@code strftime()}: the common conversions, and bpftrace's {@code %f}
 * (microseconds, six digits). An unknown conversion is copied as written.
 */
public final class Strftime {
    private Strftime() {
    }

    /** {@code format} applied to {@code t}. */
    public static String format(String format, ZonedDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char k = format.charAt(++i);
            sb.append(switch (k) {
                case 'Y' -> String.valueOf(t.getYear());
                case 'y' -> two(t.getYear() % 100);
                case 'm' -> two(t.getMonthValue());
                case 'd' -> two(t.getDayOfMonth());
                case 'e' -> String.format("%2d", t.getDayOfMonth());
                case 'H' -> two(t.getHour());
                case 'I' -> two((t.getHour() + 11) % 12 + 1);
                case 'M' -> two(t.getMinute());
                case 'S' -> two(t.getSecond());
                case 'f' -> String.format("%06d", t.getNano() / 1000);
                case 'j' -> String.format("%03d", t.getDayOfYear());
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ROOT);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ROOT);
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ROOT);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.ROOT);
                case 'T' -> format("%H:%M:%S", t);
                case 'R' -> format("%H:%M", t);
                case 'D' -> format("%m/%d/%y", t);
                case 'F' -> format("%Y-%m-%d", t);
                case 'c' -> format("%a %b %e %H:%M:%S %Y", t);
                case 'Z' -> t.getZone().getDisplayName(TextStyle.SHORT, Locale.ROOT);
                case 'z' -> t.format(DateTimeFormatter.ofPattern("xx"));
                case 's' -> String.valueOf(t.toEpochSecond());
                case 'n' -> "\n";
                case 't' -> "\t";
                case '%' -> "%";
                default -> "%" + k;
            });
        }
        return sb.toString();
    }

    private static String two(int n) {
        return n < 10 ? "0" + n : String.valueOf(n);
    }
}
