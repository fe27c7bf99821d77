package io.bpf4j.bpftrace;

import java.util.List;

/**
 * How a program is compiled and run.
 *
 * @param positionals the values of {@code $1}, {@code $2}…
 * @param pid         {@code -p}: the process uprobes are limited to, whose exit ends tracing; 0 for none
 * @param command     {@code -c}: a command (program and arguments) started once every probe is attached, whose
 *                    exit ends tracing; empty for none
 * @param json        {@code -f json}: JSON lines instead of text
 * @param quiet       {@code -q}: no "Attaching N probes..." line
 * @param verbose     {@code -v}: the generated instructions and the verifier's statistics, before running
 * @param unsafe      {@code --unsafe}: allow builtins that act outside tracing, such as {@code system()}
 * @param sourceName  what the program's text is called in the line info given to the verifier ({@code stdin} for
 *                    {@code -e}, else the file name), so that its log quotes {@code NAME:LINE}
 * @param perfMaps    whether {@code ustack} has the HotSpot JVMs it names write their perf maps through the Attach
 *                    API, so that their JIT-compiled frames are named ({@code --no-perfmap}: not)
 */
public record Options(List<String> positionals, int pid, List<String> command, boolean json, boolean quiet,
                      boolean verbose, boolean unsafe, String sourceName, boolean perfMaps) {
    public Options {
        positionals = List.copyOf(positionals);
        command = List.copyOf(command);
        java.util.Objects.requireNonNull(sourceName, "sourceName");
        if (pid < 0) throw new IllegalArgumentException("pid must be positive, got " + pid);
    }

    /** No positional parameters, no process, text output. */
    public static Options defaults() {
        return new Options(List.of(), 0, List.of(), false, false, false, false, "stdin", true);
    }

    /** These options with the positional parameters {@code $1}, {@code $2}… */
    public Options withPositionals(List<String> values) {
        return new Options(values, pid, command, json, quiet, verbose, unsafe, sourceName, perfMaps);
    }

    /** These options with {@code -q} on or off. */
    public Options withQuiet(boolean on) {
        return new Options(positionals, pid, command, json, on, verbose, unsafe, sourceName, perfMaps);
    }

    /** These options with JSON output on or off. */
    public Options withJson(boolean on) {
        return new Options(positionals, pid, command, on, quiet, verbose, unsafe, sourceName, perfMaps);
    }

    /** These options with {@code -p PID}. */
    public Options withPid(int processId) {
        return new Options(positionals, processId, command, json, quiet, verbose, unsafe, sourceName, perfMaps);
    }

    /** These options with {@code -c}'s command. */
    public Options withCommand(List<String> argv) {
        return new Options(positionals, pid, argv, json, quiet, verbose, unsafe, sourceName, perfMaps);
    }

    /** These options with {@code -v} on or off. */
    public Options withVerbose(boolean on) {
        return new Options(positionals, pid, command, json, quiet, on, unsafe, sourceName, perfMaps);
    }

    /** These options with the program's text called {@code name} (a file name; {@code stdin} for {@code -e}). */
    public Options withSourceName(String name) {
        return new Options(positionals, pid, command, json, quiet, verbose, unsafe, name, perfMaps);
    }

    /** These options with {@code --unsafe} on or off. */
    public Options withUnsafe(boolean on) {
        return new Options(positionals, pid, command, json, quiet, verbose, on, sourceName, perfMaps);
    }

    /** These options with JVMs asked for perf maps ({@code true}, the default) or left alone ({@code --no-perfmap}). */
    public Options withPerfMaps(boolean on) {
        return new Options(positionals, pid, command, json, quiet, verbose, unsafe, sourceName, on);
    }
}
