package io.bpf4j.output;

import io.bpf4j.core.events.BtfRecord;

import java.lang.foreign.MemorySegment;

/**
 * One event on its way to the sinks.
 *
 * @param type        what kind of event it is
 * @param timestampNs when it happened, CLOCK_MONOTONIC nanoseconds (from the event's timestamp field, else when it
 *                    was read)
 * @param cpu         the CPU it happened on, or -1 when unknown
 * @param record      the event decoded with its type's BTF
 * @param raw         the event's bytes as the BPF program wrote them. Often a view into a ring buffer that is
 *                    valid only during the call that receives the event: a sink that keeps bytes copies them.
 */
public record TraceEvent(EventType type, long timestampNs, int cpu, BtfRecord record, MemorySegment raw) {
    /** The event's duration in nanoseconds when its type is a slice, else 0. */
    public long durationNs() {
        if (type.durationField() == null) return 0;
        return type.durationUnit().toNanos(record.getLong(type.durationField()));
    }
}
