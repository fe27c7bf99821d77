package io.bpf4j.bpftrace.ast;

/**
 * Where a node starts in the source: 1-based line and column, as error messages print them.
 *
 * @param line   the line, from 1
 * @param column the column, from 1 (a tab counts as one column)
 */
public record Position(int line, int column) {
    @Override
    public String toString() {
        return line + ":" + column;
    }
}
