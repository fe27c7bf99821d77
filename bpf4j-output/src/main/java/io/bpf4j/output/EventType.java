package io.bpf4j.output;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.events.RecordDecoder;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One kind of event a tool emits: its name (for CTF, Perfetto and JFR the event name, e.g. {@code sched_switch})
 * and the C struct that carries it, described by the BPF object's BTF — the sinks derive their layouts from it.
 * Three fields have a meaning for every sink when the struct has them:
 * <ul>
 *   <li>the timestamp field ({@code ts} by default): {@code bpf_ktime_get_ns()}, CLOCK_MONOTONIC nanoseconds;</li>
 *   <li>the CPU field ({@code cpu} by default): {@code bpf_get_smp_processor_id()}, the CTF stream it goes to;</li>
 *   <li>the duration field (none by default): makes the event a slice that ends at its timestamp.</li>
 * </ul>
 *
 * @param name           the event's name
 * @param btf            the BTF that describes the struct
 * @param typeId         the struct's type id in {@code btf}
 * @param timestampField the field holding the event's CLOCK_MONOTONIC time in ns, or {@code null}: the time the
 *                       event was read is used
 * @param cpuField       the field holding the CPU, or {@code null}: the CPU is the one the reader was told
 * @param durationField  the field holding a duration, or {@code null}
 * @param durationUnit   the unit of {@code durationField}
 */
public record EventType(String name, Btf btf, int typeId, String timestampField, String cpuField,
                        String durationField, TimeUnit durationUnit) {
    public EventType {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(btf, "btf");
        if (!(btf.type(btf.resolve(typeId)) instanceof BtfType.Composite)) {
            throw new IllegalArgumentException("event '" + name + "': type [" + typeId + "] is "
                    + btf.describe(typeId) + ", not a struct");
        }
        if (durationField != null) Objects.requireNonNull(durationUnit, "durationUnit");
    }

    /**
     * The event {@code name} carried by the struct {@code structName} of {@code btf}, with {@code ts} and
     * {@code cpu} as timestamp and CPU fields when the struct has fields of those names.
     */
    public static EventType of(String name, Btf btf, String structName) {
        RecordDecoder d = RecordDecoder.forStruct(btf, structName);
        int id = btf.typeIds(structName).stream().filter(i -> btf.type(i) instanceof BtfType.Composite)
                .findFirst().orElseThrow();
        return new EventType(name, btf, id, d.fieldNames().contains("ts") ? "ts" : null,
                d.fieldNames().contains("cpu") ? "cpu" : null, null, null);
    }

    /** This event type with {@code field} (nanoseconds, CLOCK_MONOTONIC) as its timestamp. */
    public EventType withTimestamp(String field) {
        return new EventType(name, btf, typeId, field, cpuField, durationField, durationUnit);
    }

    /** This event type with {@code field} as its CPU. */
    public EventType withCpu(String field) {
        return new EventType(name, btf, typeId, timestampField, field, durationField, durationUnit);
    }

    /** This event type as a slice: {@code field} holds its duration in {@code unit}, ending at the timestamp. */
    public EventType withDuration(String field, TimeUnit unit) {
        return new EventType(name, btf, typeId, timestampField, cpuField, field, unit);
    }

    /** A decoder for the struct (decoders are immutable: make one and keep it). */
    public RecordDecoder decoder() {
        return RecordDecoder.forType(btf, typeId);
    }

    /**
     * The event {@code record} (decoded from {@code raw}) of this type, timed by its timestamp field, else now, and
     * placed on the CPU its CPU field names, else {@code cpu} (the perf buffer's CPU, or -1).
     */
    public TraceEvent event(BtfRecord record, MemorySegment raw, int cpu) {
        long ts = timestampField != null ? record.getLong(timestampField) : System.nanoTime();
        int c = cpuField != null ? (int) record.getLong(cpuField) : cpu;
        return new TraceEvent(this, ts, c, record, raw);
    }

    /** The duration field, when the event is a slice. */
    public Optional<String> duration() {
        return Optional.ofNullable(durationField);
    }
}
