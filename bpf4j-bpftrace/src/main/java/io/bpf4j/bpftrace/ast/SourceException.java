package io.bpf4j.bpftrace.ast;

/**
 * A program that cannot be compiled: a syntax error, or a semantic one (unknown builtin, wrong argument, type
 * mismatch, a probe this kernel cannot serve). It carries the position it is about, so that
 * {@link #render(String, String)} can point at it.
 */
public class SourceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Position position;

    /** An error about the source at {@code position}. */
    public SourceException(Position position, String message) {
        super(message);
        this.position = position;
    }

    /** Where the error is. */
    public Position position() {
        return position;
    }

    /**
     * The message as bpftrace users read it: {@code NAME:LINE:COLUMN: ERROR: message}, the source line, and a
     * caret under the column.
     *
     * @param name   what the source is called in the message ({@code stdin} for {@code -e}, else the file name)
     * @param source the whole program text
     */
    public String render(String name, String source) {
        StringBuilder sb = new StringBuilder();
        sb.append(name).append(':').append(position.line()).append(':').append(position.column())
                .append(": ERROR: ").append(getMessage());
        String[] lines = source.split("\n", -1);
        if (position.line() >= 1 && position.line() <= lines.length) {
            String line = lines[position.line() - 1];
            sb.append('\n').append(line).append('\n');
            for (int i = 0; i < position.column() - 1 && i < line.length(); i++) {
                sb.append(line.charAt(i) == '\t' ? '\t' : ' ');
            }
            sb.append('^');
        }
        return sb.toString();
    }
}
