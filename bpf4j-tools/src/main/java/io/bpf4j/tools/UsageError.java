package io.bpf4j.tools;

/**
 * A command line that parses but cannot be run as given — options that exclude each other, a malformed probe or
 * expression, an address that is not one — found by a tool's own checks: {@link Tool} reports it as a usage error
 * (one line, exit code 2), as picocli reports the errors it finds itself. Code that has no picocli command at hand
 * (the probe and expression parsers) throws it; what it says is the whole message.
 */
public class UsageError extends IllegalArgumentException {
    public UsageError(String message) {
        super(message);
    }

    public UsageError(String message, Throwable cause) {
        super(message, cause);
    }
}
