package io.bpf4j.bpftrace.check;

/** What a map holds: assigned values, or the state of one of bpftrace's aggregation functions. */
public enum MapKind {
    /** Values assigned with {@code =}: integers or strings. */
    VALUE,
    COUNT, SUM, MIN, MAX, AVG, STATS, HIST, LHIST;

    /** Whether the map is per CPU (aggregations are, so that no program ever waits for another). */
    public boolean perCpu() {
        return this != VALUE;
    }

    /** Whether the key ends with an 8-byte bucket index (the histograms). */
    public boolean bucketed() {
        return this == HIST || this == LHIST;
    }
}
