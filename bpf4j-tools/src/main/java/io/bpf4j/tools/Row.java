package io.bpf4j.tools;

import java.io.PrintWriter;

/**
 * One output line of fixed-width columns, built without {@code String.format} — which costs about a microsecond
 * a call, and a tool may print a million lines a second. Reused line after line by one thread:
 * {@code row.left(pid, 7).left(comm, 16).right(fd, 3).end(path).println(out)}. Each column is followed by one
 * space; a value wider than its column pushes the rest right, as printf does.
 */
public final class Row {
    private final StringBuilder sb = new StringBuilder(256);

    /** {@code value} left-aligned in {@code width} ({@code %-Ns}). */
    public Row left(String value, int width) {
        sb.append(value);
        pad(width - value.length());
        sb.append(' ');
        return this;
    }

    /** {@code value} left-aligned in {@code width} ({@code %-Nd}). */
    public Row left(long value, int width) {
        int start = sb.length();
        sb.append(value);
        pad(width - (sb.length() - start));
        sb.append(' ');
        return this;
    }

    /** {@code value} right-aligned in {@code width} ({@code %Nd}). */
    public Row right(long value, int width) {
        int digits = Long.toString(value).length();
        pad(width - digits);
        sb.append(value).append(' ');
        return this;
    }

    /** {@code value} as it is, then a space. */
    public Row column(String value) {
        sb.append(value).append(' ');
        return this;
    }

    /** The last column, with no padding after it. */
    public Row end(String value) {
        sb.append(value);
        return this;
    }

    /** Prints the line and empties the row for the next one. */
    public void println(PrintWriter out) {
        sb.append('\n');
        out.append(sb);
        sb.setLength(0);
    }

    private void pad(int n) {
        for (int i = 0; i < n; i++) sb.append(' ');
    }
}
