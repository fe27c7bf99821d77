package io.bpf4j.core.events;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Receives the records of a {@link RingBuffer}, one call per record, on the thread that polls.
 */
@FunctionalInterface
public interface RecordHandler {
    /**
     * Handles one record. {@code record} is a read-only view of the ring itself (no copy): it is valid only
     * during this call — the kernel may overwrite the memory once the call returns — so copy what must outlive
     * it. Throwing stops the poll: the record counts as consumed and the exception reaches the poll's caller.
     */
    void onRecord(MemorySegment record);

    /** A handler that receives each record as a fresh {@code byte[]} copy, which it may keep. */
    static RecordHandler copying(Consumer<byte[]> consumer) {
        return record -> consumer.accept(record.toArray(JAVA_BYTE));
    }
}
