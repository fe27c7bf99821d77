package io.bpf4j.core.features;

/** A tiny JSON writer: objects, arrays, strings, numbers, booleans, with two-space indentation. */
final class Json {
    private final StringBuilder out = new StringBuilder();
    private int depth;
    /** Whether the current container already has an element (so the next needs a comma). */
    private long hasElement;

    Json beginObject() {
        return open('{');
    }

    Json endObject() {
        return close('}');
    }

    Json beginArray() {
        return open('[');
    }

    Json endArray() {
        return close(']');
    }

    /** Starts a member of the current object: {@code "name": } (a value must follow). */
    Json name(String name) {
        separator();
        string(name);
        out.append(": ");
        pendingValue = true;
        return this;
    }

    private boolean pendingValue;

    Json value(String s) {
        element();
        if (s == null) out.append("null");
        else string(s);
        return this;
    }

    Json value(boolean b) {
        element();
        out.append(b);
        return this;
    }

    Json value(long n) {
        element();
        out.append(n);
        return this;
    }

    Json value(double d) {
        element();
        out.append(Double.isFinite(d) ? Double.toString(d) : "null");
        return this;
    }

    /** Shorthand for {@code name(n).value(s)}. */
    Json field(String n, String s) {
        return name(n).value(s);
    }

    Json field(String n, boolean b) {
        return name(n).value(b);
    }

    Json field(String n, long v) {
        return name(n).value(v);
    }

    private Json open(char c) {
        element();
        out.append(c);
        depth++;
        hasElement &= ~(1L << depth);
        return this;
    }

    private Json close(char c) {
        boolean any = (hasElement & (1L << depth)) != 0;
        depth--;
        if (any) newline();
        out.append(c);
        return this;
    }

    /** Before a value: a separator unless it follows a member name. */
    private void element() {
        if (pendingValue) {
            pendingValue = false;
            return;
        }
        if (depth > 0) separator();
    }

    private void separator() {
        if ((hasElement & (1L << depth)) != 0) out.append(',');
        hasElement |= 1L << depth;
        newline();
    }

    private void newline() {
        out.append('\n');
        out.append("  ".repeat(depth));
    }

    private void string(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
