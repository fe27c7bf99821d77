package io.bpf4j.bcc.compile;

import io.bpf4j.core.error.BpfException;

import java.util.List;

/**
 * A source could not be compiled: clang's errors, a bcc construct bpf4j does not support, or clang missing. The
 * message has one line per problem, {@code NAME:LINE:COL: error: …}, at the line of the source as given (the
 * Java string's line), or one line saying what is missing and how to get it.
 */
public final class BccCompileException extends BpfException {
    private final List<String> problems;

    /** @param problems one line each; the message joins them with newlines */
    public BccCompileException(List<String> problems) {
        super("bcc compile", 0, String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    /** One problem. */
    public BccCompileException(String problem) {
        this(List.of(problem));
    }

    /** The problems, one line each. */
    public List<String> problems() {
        return problems;
    }
}
