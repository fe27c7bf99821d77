package io.bpf4j.tools;

import io.bpf4j.output.Recorder;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The base of every tool command: the options all tools share ({@code --json}, {@code --output}) and a
 * {@link ToolSession} opened before {@link #run} and closed after it, whatever happens — on return, on an
 * exception, on Ctrl-C and on SIGTERM — so no program, map or link outlives the tool.
 *
 * <p>A tool is a picocli command: its own flags follow libbpf-tools' ({@code -p PID}, {@code -T}, {@code -x},
 * {@code -d SECONDS}, {@code interval [count]}).
 */
public abstract class Tool implements Callable<Integer> {
    /** The picocli model of this command (its name, its output streams). */
    @Spec
    protected CommandSpec spec;

    /** {@code --json}: events and aggregates as JSON lines on stdout instead of text. */
    @Option(names = "--json", description = "Print JSON lines instead of text.")
    protected boolean json;

    /** {@code --output KIND:PATH}: also record to these sinks. */
    @Option(names = "--output", paramLabel = "KIND:PATH", split = ",", converter = OptionTypes.Output.class,
            description = "Also record to KIND:PATH, several separated by commas: ctf:DIR, "
                    + "perfetto:FILE.json, jfr:FILE.jfr, json:FILE (events); folded:FILE, "
                    + "flamegraph:FILE.html (stacks).")
    protected List<String> outputs = new ArrayList<>();

    /** {@code --buffer-kb KB}: the events ring buffer's size. */
    @Option(names = "--buffer-kb", paramLabel = "KB", converter = OptionTypes.BufferKb.class,
            description = "Size of the events ring buffer in KiB, a power of two (default: the tool's, 256 KiB for "
                    + "most). Larger loses fewer events in bursts; smaller shows how losses are reported.")
    protected Integer bufferKb;

    /**
     * The exit code when stdout went away ({@code bpf4j opensnoop | head -3}): 141, what a shell reports for a C
     * tool killed by SIGPIPE (128 + 13), so that scripts see the same status as with libbpf-tools' tools. The
     * JVM ignores SIGPIPE: the tool notices the failed write instead, stops, detaches everything and exits
     * quietly.
     */
    public static final int EXIT_OUTPUT_CLOSED = 141;

    @Override
    public final Integer call() throws Exception {
        Recorder recorder = Recorder.open(spec.name(), outputs, err());
        ToolSession session = new ToolSession(spec.name(), out(), err(), recorder, json);
        int exit;
        try (session) {
            if (bufferKb != null) session.ringBufferBytes(bufferKb * 1024);
            exit = run(session);
        } catch (UsageError e) {
            // found by the tool's own checks, after picocli's: a usage error all the same (exit code 2)
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        return session.outputClosed() ? EXIT_OUTPUT_CLOSED : exit;
    }

    /**
     * Does the tool's work: loads and attaches its object with {@code session}, streams or aggregates until the
     * duration, the count or a signal ends it, and prints what it saw.
     *
     * @return the exit code
     */
    protected abstract int run(ToolSession session) throws Exception;

    /** Where the tool prints its results. */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Where the tool prints its notes and warnings. */
    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
