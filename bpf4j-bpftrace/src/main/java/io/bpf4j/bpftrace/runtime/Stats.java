package io.bpf4j.bpftrace.runtime;

/**
 * The state of {@code avg()} and {@code stats()} for one key.
 *
 * @param count how many values
 * @param total their sum
 */
public record Stats(long count, long total) {
    /** The integer average, as bpftrace prints it (0 with no values). */
    public long average() {
        return count == 0 ? 0 : total / count;
    }
}
