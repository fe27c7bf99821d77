package io.bpf4j.output;

import java.util.List;
import java.util.Map;

/** A minimal JSON writer (the library has no dependencies): what {@code --json} and the JSON sinks print. */
public final class Json {
    private Json() {
    }

    /** {@code o} as JSON: maps (keys as strings), lists, numbers, booleans and null; anything else as its
     * {@code toString()} in a JSON string. */
    public static String write(Object o) {
        StringBuilder sb = new StringBuilder();
        write(o, sb, -1);
        return sb.toString();
    }

    /**
     * As {@link #write}, but one member or element per line, indented by two spaces per level (empty maps and
     * lists stay {@code {}} and {@code []}): for reports a person may read, as {@code bpf4j feature --json}.
     */
    public static String writeIndented(Object o) {
        StringBuilder sb = new StringBuilder();
        write(o, sb, 0);
        return sb.toString();
    }

    /** Writes {@code o} at nesting {@code depth}; a negative depth writes it on one line. */
    private static void write(Object o, StringBuilder sb, int depth) {
        int inner = depth < 0 ? -1 : depth + 1;
        switch (o) {
            case null -> sb.append("null");
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    newline(sb, inner);
                    string(String.valueOf(e.getKey()), sb);
                    sb.append(depth < 0 ? ":" : ": ");
                    write(e.getValue(), sb, inner);
                }
                if (!m.isEmpty()) newline(sb, depth);
                sb.append('}');
            }
            case List<?> l -> {
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) sb.append(',');
                    newline(sb, inner);
                    write(l.get(i), sb, inner);
                }
                if (!l.isEmpty()) newline(sb, depth);
                sb.append(']');
            }
            case Number n -> sb.append(n);
            case Boolean b -> sb.append(b);
            default -> string(o.toString(), sb);
        }
    }

    /** A line break and the indentation of {@code depth}; nothing on one line (negative depth). */
    private static void newline(StringBuilder sb, int depth) {
        if (depth >= 0) sb.append('\n').append("  ".repeat(depth));
    }

    private static void string(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
