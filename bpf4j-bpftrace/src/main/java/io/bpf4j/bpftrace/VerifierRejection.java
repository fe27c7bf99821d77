package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.ast.Position;
import io.bpf4j.bpftrace.ast.SourceException;

/**
 * The kernel's verifier refused the program of a probe: a program that passed the checker but that the verifier
 * cannot prove safe (a loop it cannot bound, a read it cannot check…). It points at the statement or expression
 * of the instruction the verifier stopped at, as {@link SourceException} does; its message is the verifier's
 * reason in one line, and {@link #verifierLog()} is the whole log (whose instructions are annotated with the
 * script's lines, from the line info bpf4j gives the kernel).
 */
public final class VerifierRejection extends SourceException {
    private static final long serialVersionUID = 1L;

    private final String probe;
    private final String reason;
    private final String verifierLog;

    /**
     * @param position    where the instruction the verifier stopped at comes from
     * @param probe       the probe whose program it is
     * @param reason      the verifier's reason, one line
     * @param verifierLog the verifier's whole log
     * @param cause       bpf4j-core's exception
     */
    public VerifierRejection(Position position, String probe, String reason, String verifierLog, Throwable cause) {
        super(position, "the verifier rejected the program of " + probe + ": " + reason);
        this.probe = probe;
        this.reason = reason;
        this.verifierLog = verifierLog;
        initCause(cause);
    }

    /** The probe whose program was rejected, e.g. {@code tracepoint:syscalls:sys_enter_openat}. */
    public String probe() {
        return probe;
    }

    /** The verifier's reason, in its words, e.g. {@code BPF program is too large. Processed 1000001 insn}. */
    public String reason() {
        return reason;
    }

    /** The verifier's whole log. */
    public String verifierLog() {
        return verifierLog;
    }
}
