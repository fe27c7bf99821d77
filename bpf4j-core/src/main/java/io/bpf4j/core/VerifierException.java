package io.bpf4j.core;

import io.bpf4j.core.error.BpfException;
import java.util.List;

/**
 * The kernel's verifier rejected a program. Carries the verifier's whole log; the message shows its decisive
 * last lines (and, when the program has BTF line info, the source line of the failing instruction).
 */
public final class VerifierException extends BpfException {
    private final String programName;
    private final String log;

    /**
     * @param programName the program's name
     * @param errnoCode   the errno of BPF_PROG_LOAD (usually EACCES or EINVAL)
     * @param log         the complete verifier log, possibly empty
     * @param message     the human-readable message
     */
    public VerifierException(String programName, int errnoCode, String log, String message) {
        super("BPF_PROG_LOAD", errnoCode, message);
        this.programName = programName;
        this.log = log;
    }

    /** The name of the rejected program. */
    public String programName() {
        return programName;
    }

    /** The complete verifier log as the kernel wrote it. */
    public String log() {
        return log;
    }

    /** The last {@code n} non-empty lines of the log: where the verifier gave up and why. */
    public List<String> lastLines(int n) {
        return lastLines(log, n);
    }

    static List<String> lastLines(String log, int n) {
        List<String> lines = log.lines().filter(l -> !l.isBlank()).toList();
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }
}
