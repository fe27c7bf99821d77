package io.bpf4j.tools;

import io.bpf4j.output.recorder.Recorder;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The base of every tool command: the options all tools share ({@code --json}, {@code --output}) and a
 * {@link ToolSession} opened before {@link #run} and closed after it, whatever happens — on return, on an
 * exception, on Ctrl-C and on SIGTERM — so no program, map or link outlives the tool.
 *
 * <p>A tool is a picocli command: its own flags follow libbpf-tools' ({@code -p PID}, {@code -T}, {@code -x},
 * {@code -d SECONDS}, {@code interval [count]}).
 *
 * <p>A program that runs a tool itself (on a thread of its own) learns from {@link #attached()} when the tool
 * observes — everything it traces from then on is seen — and ends it with {@link #stop()}, as Ctrl-C would.
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
                    + "flamegraph:FILE.html, pprof:FILE.pb.gz (stacks).")
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

    private final CompletableFuture<Void> attached = new CompletableFuture<>();
    private volatile ToolSession session;
    private volatile boolean stopRequested;

    @Override
    public final Integer call() throws Exception {
        try {
            Recorder recorder = Recorder.open(spec.name(), outputs, err());
            ToolSession session = new ToolSession(spec.name(), out(), err(), recorder, json);
            int exit;
            try (session) {
                session.onAttached(() -> attached.complete(null));
                this.session = session;
                // a stop() that came before the session existed ends it at once (both fields are volatile: one of
                // the two threads sees the other's write)
                if (stopRequested) session.stop();
                if (bufferKb != null) session.ringBufferBytes(bufferKb * 1024);
                exit = run(session);
            } catch (UsageError e) {
                // found by the tool's own checks, after picocli's: a usage error all the same (exit code 2)
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            } finally {
                this.session = null;
            }
            return session.outputClosed() ? EXIT_OUTPUT_CLOSED : exit;
        } finally {
            attached.completeExceptionally(new IllegalStateException(spec.name() + " ended before it attached"));
        }
    }

    /**
     * Completes once the tool has attached everything it traces and opened its event readers — when it starts
     * waiting for events, just after it printed its header or "Tracing…" line — so that whatever happens from
     * then on is seen. Completes exceptionally when the tool ends without getting there (an error, a listing
     * option such as {@code syscount -l}).
     */
    public final CompletionStage<Void> attached() {
        return attached;
    }

    /**
     * Ends the tool as Ctrl-C does: it stops waiting for events, reads those already recorded, prints what it
     * prints at Ctrl-C (its totals, histograms, stacks) and returns from {@link #call()}. Safe from any thread,
     * at any time; a tool not started yet ends as soon as it starts waiting.
     */
    public final void stop() {
        stopRequested = true;
        ToolSession s = session;
        if (s != null) s.stop();
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
