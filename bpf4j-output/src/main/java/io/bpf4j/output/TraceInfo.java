package io.bpf4j.output;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;

/**
 * What a sink is told before the first event: who records, what kinds of event will come, and how to turn the
 * events' CLOCK_MONOTONIC timestamps into wall-clock time.
 *
 * @param tool                 the tool or command recording (e.g. {@code opensnoop}); the trace's name
 * @param eventTypes           every kind of event that may come (CTF and JFR declare them up front)
 * @param hostname             the machine's name
 * @param monotonicToRealtimeNs add this to a CLOCK_MONOTONIC time to get nanoseconds since the Unix epoch
 * @param cpus                 the number of possible CPUs
 */
public record TraceInfo(String tool, List<EventType> eventTypes, String hostname, long monotonicToRealtimeNs,
                        int cpus) {
    public TraceInfo {
        eventTypes = List.copyOf(eventTypes);
    }

    /** What {@code tool} records now, on this machine: its hostname, the clocks' offset and CPU count. */
    public static TraceInfo now(String tool, List<EventType> eventTypes) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost"; // no name resolves: the trace is still readable
        }
        Instant now = Instant.now();
        long offset = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
        return new TraceInfo(tool, eventTypes, host, offset, Runtime.getRuntime().availableProcessors());
    }
}
