package io.bpf4j.output;

import java.io.IOException;

/**
 * Where a tool's observations go: a CTF trace, a Perfetto trace, a flame graph, a JFR recording, JSON lines.
 * A tool opens its sinks, sends them events as they are read (one thread), the aggregates it prints (stacks,
 * histograms) when it prints them, and the counts of events lost, then closes them. A sink writes only whole
 * units (packets, lines, files) so that whatever it wrote before an interruption can be read.
 */
public interface Sink extends AutoCloseable {
    /** Called once, before anything else. */
    default void open(TraceInfo info) throws IOException {
    }

    /** One event. */
    default void event(TraceEvent event) throws IOException {
    }

    /** {@code count} more events were lost on {@code cpu} (-1: CPU unknown) before they could be read. */
    default void lost(int cpu, long count) throws IOException {
    }

    /** Stacks with their counts, as the tool printed them. */
    default void stacks(StackCounts stacks) throws IOException {
    }

    /** A histogram, as the tool printed it. */
    default void histogram(Histogram histogram) throws IOException {
    }

    /** Bytes written so far, for progress lines. */
    default long bytesWritten() {
        return 0;
    }

    /** What this sink could not keep, for the user to read after {@link #close()}; null when nothing. */
    default String warning() {
        return null;
    }

    /** Writes what is pending and releases the file. */
    @Override
    void close() throws IOException;
}
