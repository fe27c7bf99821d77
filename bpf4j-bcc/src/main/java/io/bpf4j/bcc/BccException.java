package io.bpf4j.bcc;

/**
 * A {@link Bcc} program could not be compiled, loaded or attached; the message is one line for a person: what
 * failed, why, and what to do (clang's errors, mapped to the lines of the Java string, for a compile error).
 */
public class BccException extends RuntimeException {
    /** A failure described by {@code message}. */
    public BccException(String message) {
        super(message);
    }

    /** A failure described by {@code message}, caused by {@code cause}. */
    public BccException(String message, Throwable cause) {
        super(message, cause);
    }
}
