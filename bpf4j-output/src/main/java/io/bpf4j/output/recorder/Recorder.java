package io.bpf4j.output.recorder;

import io.bpf4j.core.format.IoErrors;
import io.bpf4j.output.Histogram;
import io.bpf4j.output.Sink;
import io.bpf4j.output.StackCounts;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.output.TraceInfo;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The sinks of one {@code --output} flag, fed together: it opens them from their specs ({@code ctf:DIR},
 * {@code perfetto:FILE}…), passes every event, loss, histogram and stack set to each, prints a progress line on
 * long recordings (events written, lost, bytes — every {@value #PROGRESS_SECONDS} s) and a summary when it is
 * closed. With no specs it does nothing at all.
 */
public final class Recorder implements AutoCloseable {
    static final int PROGRESS_SECONDS = 10;
    /** How often to call {@link #tick()}: often enough for a progress line to come about on time. */
    public static final Duration TICK = Duration.ofSeconds(1);

    private final List<String> specs;
    private final List<Sink> sinks;
    private final PrintWriter log;
    private final String who;
    private boolean opened;
    private long events;
    private long lost;
    private long aggregates;
    private long started;
    private long nextProgress;
    /** What the last progress line showed. */
    private long progressEvents;
    private long progressLost;

    private Recorder(String who, List<String> specs, List<Sink> sinks, PrintWriter log) {
        this.who = who;
        this.specs = List.copyOf(specs);
        this.sinks = sinks;
        this.log = log;
    }

    /**
     * Opens the sinks {@code specs} name; {@code who} (the tool) prefixes the progress and summary lines written
     * to {@code log}.
     */
    public static Recorder open(String who, List<String> specs, PrintWriter log) throws IOException {
        return new Recorder(who, specs, Outputs.open(specs), log);
    }

    /** Whether there is nothing to record to. */
    public boolean isEmpty() {
        return sinks.isEmpty();
    }

    /** Tells the sinks what is coming; once, before the first event (later calls do nothing). */
    public void open(TraceInfo info) {
        if (opened) return;
        opened = true;
        started = System.nanoTime();
        nextProgress = started + PROGRESS_SECONDS * 1_000_000_000L;
        each(s -> s.open(info));
    }

    /** Whether {@link #open} was called. */
    public boolean isOpen() {
        return opened;
    }

    /** One event to every sink. */
    public void event(TraceEvent e) {
        events++;
        each(s -> s.event(e));
    }

    /** Lost events to every sink. */
    public void lost(int cpu, long count) {
        lost += count;
        each(s -> s.lost(cpu, count));
    }

    /** A histogram to every sink. */
    public void histogram(Histogram h) {
        aggregates++;
        each(s -> s.histogram(h));
    }

    /** Stacks to every sink. */
    public void stacks(StackCounts st) {
        aggregates++;
        each(s -> s.stacks(st));
    }

    /** Prints the progress line when one is due; call it from the event loop. */
    public void tick() {
        if (sinks.isEmpty() || !opened) return;
        long now = System.nanoTime();
        if (now < nextProgress) return;
        nextProgress = now + PROGRESS_SECONDS * 1_000_000_000L;
        if (events == progressEvents && lost == progressLost) return; // nothing new: no line
        progressEvents = events;
        progressLost = lost;
        log.printf("%s: recording: %d events, %d lost, %s written (%.0f s)%n", who, events, lost,
                bytes(total()), (now - started) / 1e9);
        log.flush();
    }

    private long total() {
        long b = 0;
        for (Sink s : sinks) b += s.bytesWritten();
        return b;
    }

    static String bytes(long b) {
        if (b < 10_000) return b + " B";
        if (b < 10_000_000) return (b / 1000) + " kB";
        return String.format("%.1f MB", b / 1e6);
    }

    @FunctionalInterface
    private interface SinkCall {
        void apply(Sink s) throws IOException;
    }

    private void each(SinkCall call) {
        for (int i = 0; i < sinks.size(); i++) {
            try {
                call.apply(sinks.get(i));
            } catch (IOException e) {
                throw new UncheckedIOException("writing --output " + specs.get(i) + " failed: " + IoErrors.reason(e),
                        e);
            }
        }
    }

    /** Closes every sink (each writes what it holds), then prints the summary: what went where. */
    @Override
    public void close() {
        IOException failure = null;
        List<String> done = new ArrayList<>();
        for (int i = 0; i < sinks.size(); i++) {
            try {
                sinks.get(i).close();
                done.add(specs.get(i) + " (" + bytes(sinks.get(i).bytesWritten()) + ")");
            } catch (IOException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (!done.isEmpty()) {
            log.printf("%s: recorded %d events%s%s to %s%n", who, events, lost > 0 ? " (" + lost + " lost)" : "",
                    aggregates > 0 ? " and " + aggregates + " histogram(s) or stack set(s)" : "",
                    String.join(", ", done));
        }
        for (int i = 0; i < sinks.size(); i++) {
            String w = sinks.get(i).warning();
            if (w != null) log.printf("%s: %s: %s%n", who, specs.get(i), w);
        }
        log.flush();
        if (failure != null) {
            throw new UncheckedIOException("closing --output failed: " + IoErrors.reason(failure), failure);
        }
    }
}
