package io.bpf4j.core.events;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of the trace pipe, split as bcc's {@code trace_fields()} splits it.
 *
 * @param task      the command name of the task that wrote it ({@code <...>} when the kernel no longer knows it)
 * @param pid       its thread id
 * @param cpu       the CPU it ran on
 * @param flags     the irq/preempt flags column, e.g. {@code d..31}
 * @param timestamp seconds since boot, as the kernel prints them
 * @param message   the text after the event name ({@code bpf_trace_printk: }), the program's own output
 * @param raw       the whole line; for lines not in this format every other field is empty or -1
 */
public record TraceLine(String task, int pid, int cpu, String flags, double timestamp, String message, String raw) {
    // "   task-pid   (tgid)  [cpu] flags  timestamp: event: message"; the tgid column appears with record-tgid.
    private static final Pattern LINE = Pattern.compile(
            "^\\s*(.+?)-(\\d+)\\s+(?:\\(\\s*[\\d-]+\\)\\s+)?\\[(\\d+)]\\s+(\\S+)\\s+(\\d+\\.\\d+):\\s+(?:[\\w]+:\\s)?(.*)$");

    /** Splits one trace-pipe line. */
    public static TraceLine parse(String line) {
        Matcher m = LINE.matcher(line);
        if (!m.matches()) return new TraceLine("", -1, -1, "", -1, line, line);
        return new TraceLine(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), m.group(4),
                Double.parseDouble(m.group(5)), m.group(6), line);
    }
}
