package io.bpf4j.core.error;

import java.util.Optional;

/**
 * A kernel operation failed. The message says which operation, the error the kernel returned and, where it
 * can be told, why and what to do; {@link #errno()} gives the error for code that wants to react to it.
 */
public class BpfException extends RuntimeException {
    private final String operation;
    private final int errnoCode;

    /**
     * @param operation the operation as a person would name it, e.g. {@code "BPF_MAP_CREATE (hash 'counts')"}
     * @param errnoCode the positive errno, or 0 when the failure did not come from a system call
     * @param message   the whole human-readable message
     */
    public BpfException(String operation, int errnoCode, String message) {
        this(operation, errnoCode, message, null);
    }

    /** As {@link #BpfException(String, int, String)}, with the exception that caused this one. */
    public BpfException(String operation, int errnoCode, String message, Throwable cause) {
        super(message, cause);
        this.operation = operation;
        this.errnoCode = errnoCode;
    }

    /** The operation that failed, e.g. {@code BPF_PROG_LOAD}. */
    public String operation() {
        return operation;
    }

    /** The error the kernel returned, if this failure came from a system call. */
    public Optional<Errno> errno() {
        return errnoCode == 0 ? Optional.empty() : Optional.of(Errno.of(errnoCode));
    }

    /** The raw positive errno, or 0 when this failure did not come from a system call. */
    public int errnoCode() {
        return errnoCode;
    }

    /** True when the kernel returned {@code errno}. */
    public boolean is(Errno errno) {
        return errnoCode == errno.code();
    }
}
