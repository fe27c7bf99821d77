package io.bpf4j.core;

import io.bpf4j.core.error.BpfException;
import java.util.List;
import java.util.OptionalInt;

/**
 * The kernel's verifier rejected a program. Carries the verifier's whole log; the message shows its decisive
 * last lines (and, when the program has BTF line info, the source line of the failing instruction).
 */
public final class VerifierException extends BpfException {
    /** A reason naming its instruction. */
    private static final java.util.regex.Pattern AT_INSN =
            java.util.regex.Pattern.compile("\\bat insn (\\d{1,9})\\b");
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

    /**
     * The index of the instruction the verifier stopped at: the one its reason names ({@code infinite loop
     * detected at insn 12}), else the last instruction the log shows ({@code N: (xx) ...}); empty when the log
     * shows none.
     */
    public OptionalInt failingInstruction() {
        java.util.regex.Matcher named = AT_INSN.matcher(reason());
        if (named.find()) return OptionalInt.of(Integer.parseInt(named.group(1)));
        int i = Program.failingInstruction(log);
        return i < 0 ? OptionalInt.empty() : OptionalInt.of(i);
    }

    /**
     * Why the verifier refused, in its own words: the log's last line that is neither an instruction, a source
     * line ({@code ; …}), a register state nor a statistic, e.g. {@code R1 invalid mem access 'scalar'} or
     * {@code BPF program is too large. Processed 1000001 insn}; empty when the log has none.
     */
    public String reason() {
        for (String line : linesFromEnd(log)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("cur state:") || l.startsWith("old state:") || l.startsWith("processed ")
                    || l.startsWith("verification time") || l.startsWith("stack depth")
                    || l.startsWith(";") || l.matches("\\d+: .*")
                    || l.matches("(from \\d+ to \\d+: )?R\\d+(_w)?=.*")) {
                continue;
            }
            return l;
        }
        return "";
    }

    /** The last {@code n} non-empty lines of the log: where the verifier gave up and why. */
    public List<String> lastLines(int n) {
        return lastLines(log, n);
    }

    /** The lines of {@code log}, last first, read lazily: a log can hold millions of them. */
    static Iterable<String> linesFromEnd(String log) {
        return () -> new java.util.Iterator<>() {
            private int end = log.length();

            @Override
            public boolean hasNext() {
                return end > 0;
            }

            @Override
            public String next() {
                if (end <= 0) throw new java.util.NoSuchElementException();
                int start = log.lastIndexOf('\n', end - 1) + 1;
                String line = log.substring(start, end);
                end = start - 1;
                return line;
            }
        };
    }

    static List<String> lastLines(String log, int n) {
        List<String> lines = log.lines().filter(l -> !l.isBlank()).toList();
        return lines.subList(Math.max(0, lines.size() - n), lines.size());
    }
}
