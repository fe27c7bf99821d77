package io.bpf4j.core.events;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.object.MapType;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;
import java.time.Duration;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Reads the records BPF programs write into a ring buffer map (BPF_MAP_TYPE_RINGBUF) with
 * {@code bpf_ringbuf_output} or {@code bpf_ringbuf_reserve}/{@code _submit}, in the order they were reserved,
 * across all CPUs.
 * <pre>{@code
 * try (BpfMap events = BpfMap.create(MapSpec.ringBuffer("events", 256 * 1024));
 *      RingBuffer ring = RingBuffer.open(events, record -> System.out.println(record.get(JAVA_LONG, 0)))) {
 *     while (running) ring.poll(Duration.ofMillis(100));
 * }
 * }</pre>
 * The reader maps the ring into this process: the consumer page read-write, the producer page and the data
 * read-only. The kernel maps the data area twice in a row, so a record that wraps around the end of the ring is
 * still contiguous and every record is handed out zero-copy.
 * <p>
 * <b>Consumer position commits are batched.</b> The reader tells the kernel how far it has read once per
 * {@link #consume()} pass (and every quarter of the ring within a long pass), not after every record as libbpf
 * does: the position shares a cache line that producers on other CPUs read on every reservation, and writing it
 * per record makes that line bounce between CPUs. The price is that space freed by a batch becomes reusable only
 * when the batch ends, so a ring that is nearly full may drop records a per-record commit would have kept — size
 * the ring for a batch of headroom.
 * <p>
 * A ring buffer has no lost-record counter: when it is full, {@code bpf_ringbuf_output} and
 * {@code bpf_ringbuf_reserve} fail <em>in the program</em>, which must count those failures itself (e.g. in an
 * array map) for them not to go unnoticed. Records a program discarded ({@code bpf_ringbuf_discard}) are skipped
 * and counted in {@link #discardedCount()}.
 * <p>
 * Single consumer: poll from one thread at a time. Closing unmaps the ring but does not close the map.
 */
public final class RingBuffer implements AutoCloseable {
    private static final VarHandle POSITION = JAVA_LONG.varHandle();
    private static final VarHandle HEADER_WORD = JAVA_INT.varHandle();
    /** Record header: u32 length with two flag bits, u32 page offset (used by the kernel). */
    static final int HEADER = 8;
    static final int BUSY = 1 << 31, DISCARD = 1 << 30, LENGTH_MASK = ~(BUSY | DISCARD);

    private final String name;
    private final int mapFd;
    private final long size;
    private final long mask;
    private final long commitEvery;
    private final RecordHandler handler;
    private final Mapping consumerMapping;
    private final Mapping producerMapping;
    private final MemorySegment consumerPage;
    private final MemorySegment producerPage;
    private final MemorySegment data;
    private Epoll epoll;
    /** How far this reader has read, and how far it told the kernel it has. */
    private long position, committed;
    private long recordCount, discardedCount;
    private boolean closed;

    private RingBuffer(BpfMap map, RecordHandler handler) {
        if (map.type() != MapType.RINGBUF) {
            throw new IllegalArgumentException("map '" + map.name() + "' is a " + map.type().name().toLowerCase()
                    + " map, not a ring buffer" + (map.type() == MapType.PERF_EVENT_ARRAY ? " (read it with "
                    + "PerfBuffer)" : ""));
        }
        this.name = map.name();
        this.mapFd = map.fd();
        this.size = Integer.toUnsignedLong(map.maxEntries());
        this.mask = size - 1;
        this.commitEvery = Math.max(size / 4, 1);
        this.handler = handler;
        long page = LibC.pageSize();
        String what = "ring buffer '" + name + "'";
        consumerMapping = Mapping.map(mapFd, page, true, 0, what + " consumer page");
        try {
            // Producer page, then the data pages mapped twice (2 × size): wrapped records stay contiguous.
            producerMapping = Mapping.map(mapFd, page + 2 * size, false, page, what + " producer page and data");
        } catch (RuntimeException e) {
            consumerMapping.close();
            throw e;
        }
        consumerPage = consumerMapping.segment();
        producerPage = producerMapping.segment();
        data = producerPage.asSlice(page, 2 * size);
        position = committed = (long) POSITION.getAcquire(consumerPage, 0L);
    }

    /**
     * Maps the ring buffer {@code map} for reading; records go to {@code handler}, on the thread that calls
     * {@link #poll} or {@link #consume}.
     *
     * @throws IllegalArgumentException when the map is not a ring buffer
     * @throws io.bpf4j.core.error.BpfException when the kernel refuses the mapping
     */
    public static RingBuffer open(BpfMap map, RecordHandler handler) {
        return new RingBuffer(map, handler);
    }

    /**
     * Hands every record committed so far to the handler, without waiting. Returns how many records it handled
     * (discarded records not included).
     */
    public int consume() {
        checkOpen();
        int n = 0;
        long cons = position;
        try {
            while (true) {
                long prod = (long) POSITION.getAcquire(producerPage, 0L);
                while (cons < prod) {
                    long offset = cons & mask;
                    int header = (int) HEADER_WORD.getAcquire(data, offset);
                    if ((header & BUSY) != 0) break; // reserved but not yet submitted: later records must wait
                    int length = header & LENGTH_MASK;
                    cons += (HEADER + length + 7) & ~7L;
                    if ((header & DISCARD) != 0) {
                        discardedCount++;
                        continue;
                    }
                    n++;
                    recordCount++;
                    handler.onRecord(data.asSlice(offset + HEADER, length));
                    if (cons - committed >= commitEvery) commit(cons);
                }
                if (cons == committed) return n;
                // Producers wake the reader only when the consumer position equals their record's position;
                // records submitted while the position lagged behind sent no wake-up, so look again after
                // committing rather than go to sleep on them.
                commit(cons);
            }
        } finally {
            position = cons;
            if (cons != committed) commit(cons); // the handler threw: the record it threw on is consumed
        }
    }

    private void commit(long cons) {
        POSITION.setRelease(consumerPage, 0L, cons);
        // A store followed by loads of the producer side must not be reordered (x86 may do so even with release
        // semantics): without a full fence the kernel could miss our position and we its record — a lost wake-up.
        VarHandle.fullFence();
        committed = cons;
    }

    /**
     * Handles the records available now; when there are none, waits up to {@code timeout} for the kernel to
     * signal new ones and handles those. Returns how many records it handled (0 on timeout).
     */
    public int poll(Duration timeout) {
        int n = consume();
        if (n > 0) return n;
        if (epoll == null) {
            epoll = new Epoll();
            epoll.add(mapFd, 0, "ring buffer '" + name + "'");
        }
        return epoll.await(millis(timeout)) > 0 ? consume() : 0;
    }

    /** Bytes written by producers and not yet read (reserved records included). */
    public long available() {
        checkOpen();
        return (long) POSITION.getAcquire(producerPage, 0L) - position;
    }

    /** The ring's data size in bytes. */
    public long size() {
        return size;
    }

    /** Records handed to the handler since the ring was opened. */
    public long recordCount() {
        return recordCount;
    }

    /** Records skipped because the program discarded them ({@code bpf_ringbuf_discard}). */
    public long discardedCount() {
        return discardedCount;
    }

    /** The map's name. */
    public String name() {
        return name;
    }

    int mapFd() {
        return mapFd;
    }

    static int millis(Duration timeout) {
        if (timeout.isNegative()) throw new IllegalArgumentException("negative timeout: " + timeout);
        long ms = timeout.toMillis();
        if (ms == 0 && !timeout.isZero()) ms = 1; // sub-millisecond waits round up, not down to a busy poll
        return (int) Math.min(ms, Integer.MAX_VALUE);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("ring buffer '" + name + "' reader is closed");
    }

    /** Unmaps the ring and closes the reader's epoll instance; the map itself stays open. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (epoll != null) epoll.close();
        producerMapping.close();
        consumerMapping.close();
    }

    @Override
    public String toString() {
        return "RingBuffer[" + name + ", " + size + " bytes, " + recordCount + " records"
                + (closed ? ", closed]" : "]");
    }
}
