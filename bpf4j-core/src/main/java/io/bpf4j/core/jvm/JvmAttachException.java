package io.bpf4j.core.jvm;

/** Attaching to a JVM, or a diagnostic command in it, failed; the message says why in one line. */
public final class JvmAttachException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JvmAttachException(String message) {
        super(message);
    }

    JvmAttachException(String message, Throwable cause) {
        super(message, cause);
    }
}
