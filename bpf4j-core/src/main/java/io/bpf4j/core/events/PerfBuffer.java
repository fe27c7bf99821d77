package io.bpf4j.core.events;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Cpus;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.internal.PerfEventAttr;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.object.MapType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Reads what BPF programs send with {@code bpf_perf_event_output} through a perf event array map
 * (BPF_MAP_TYPE_PERF_EVENT_ARRAY): one perf ring per CPU, each a PERF_COUNT_SW_BPF_OUTPUT event stored in the map
 * at its CPU's index, all watched by one epoll instance when {@link #poll} waits.
 * <pre>{@code
 * try (BpfMap events = BpfMap.create(MapSpec.perfEventArray("events"));
 *      PerfBuffer perf = PerfBuffer.open(events, (cpu, sample) -> ...)) {
 *     while (running) perf.poll(Duration.ofMillis(100));
 * }
 * }</pre>
 * Unlike a {@link RingBuffer}, a full perf ring does not fail in the program: the kernel drops the sample and
 * later writes a PERF_RECORD_LOST record saying how many it dropped. Those counts reach
 * {@link Handler#onLost(int, long)} and {@link #lostCount()} — nothing is lost silently, but it is only reported
 * once the ring has room again, i.e. after a poll.
 * <p>
 * Samples are handed out zero-copy, except one that wraps around the end of its ring, which is copied into a
 * scratch buffer first. Order is per CPU only. Single consumer: poll from one thread at a time. Closing removes
 * the events from the map, unmaps the rings and closes the events; the map stays open.
 */
public final class PerfBuffer implements AutoCloseable {
    /** Receives samples and loss reports, on the thread that polls. */
    public interface Handler {
        /**
         * One sample written by {@code bpf_perf_event_output} on {@code cpu}. {@code data} is a read-only view
         * valid only during this call. The kernel pads each sample so that the raw size field plus the data end
         * on 8 bytes: {@code data} may be up to 7 bytes longer than what the program wrote (a 12-byte sample
         * arrives as 12 bytes, an 8-byte one as 12), and its first byte sits 4 bytes past an 8-byte boundary —
         * read it with unaligned layouts ({@code JAVA_LONG_UNALIGNED}…).
         */
        void onSample(int cpu, MemorySegment data);

        /** The kernel dropped {@code count} samples on {@code cpu} because its ring was full. */
        default void onLost(int cpu, long count) {
        }
    }

    /**
     * How each CPU's ring is sized and when the reader is woken.
     *
     * @param pagesPerCpu    data pages per CPU ring, a power of two (the mapping has one more, the header page)
     * @param wakeupEvents   wake the reader after this many samples (1: at each); ignored with a watermark
     * @param watermarkBytes when positive, wake the reader instead once this many bytes are waiting (fewer
     *                       wake-ups under load, more latency)
     */
    public record Options(int pagesPerCpu, int wakeupEvents, int watermarkBytes) {
        public Options {
            if (pagesPerCpu <= 0 || Integer.bitCount(pagesPerCpu) != 1) {
                throw new IllegalArgumentException("pages per CPU must be a power of two, not " + pagesPerCpu);
            }
            if (wakeupEvents < 1) throw new IllegalArgumentException("wakeupEvents must be at least 1");
            if (watermarkBytes < 0) throw new IllegalArgumentException("watermarkBytes must not be negative");
        }

        /** 8 pages per CPU (32 KiB with 4 KiB pages), woken at every sample. */
        public static Options defaults() {
            return new Options(8, 1, 0);
        }

        /** These options with {@code pages} data pages per CPU. */
        public Options pagesPerCpu(int pages) {
            return new Options(pages, wakeupEvents, watermarkBytes);
        }

        /** These options waking the reader every {@code n} samples. */
        public Options wakeupEvents(int n) {
            return new Options(pagesPerCpu, n, 0);
        }

        /** These options waking the reader once {@code bytes} bytes are waiting. */
        public Options watermarkBytes(int bytes) {
            return new Options(pagesPerCpu, wakeupEvents, bytes);
        }
    }

    private final BpfMap map;
    private final Handler handler;
    private final List<PerfRing> rings = new ArrayList<>();
    private final PerfRing.Sink sink = new PerfRing.Sink() {
        @Override
        public void sample(int cpu, MemorySegment data) {
            sampleCount++;
            handler.onSample(cpu, data);
        }

        @Override
        public void lost(int cpu, long count) {
            lostCount += count;
            handler.onLost(cpu, count);
        }
    };
    private long sampleCount, lostCount;
    private boolean closed;
    /** Made by the first {@link #poll}: a reader in an {@link EventStream} is watched by the stream's. */
    private Epoll epoll;

    private PerfBuffer(BpfMap map, Options options, Handler handler) {
        this.map = map;
        this.handler = handler;
        try {
            long page = LibC.pageSize();
            for (int cpu : Cpus.online()) {
                if (cpu >= map.maxEntries()) {
                    throw new IllegalArgumentException("perf event array '" + map.name() + "' has "
                            + map.maxEntries() + " entries but CPU " + cpu + " is online: create it with one "
                            + "entry per possible CPU (MapSpec.perfEventArray does), or its events would be lost");
                }
                PerfRing ring = PerfRing.open(cpu, options, page, map.name());
                rings.add(ring);
                map.setFd(cpu, ring.fd());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Opens a reader on {@code map} with {@link Options#defaults()}. */
    public static PerfBuffer open(BpfMap map, Handler handler) {
        return open(map, Options.defaults(), handler);
    }

    /**
     * Opens one perf event and ring per online CPU and stores each event in {@code map} at its CPU's index.
     *
     * @throws IllegalArgumentException when the map is not a perf event array or has too few entries
     * @throws BpfException             when perf_event_open, mmap or the map update fails
     */
    public static PerfBuffer open(BpfMap map, Options options, Handler handler) {
        if (map.type() != MapType.PERF_EVENT_ARRAY) {
            throw new IllegalArgumentException("map '" + map.name() + "' is a " + map.type().name().toLowerCase()
                    + " map, not a perf event array" + (map.type() == MapType.RINGBUF ? " (read it with RingBuffer)"
                    : ""));
        }
        return new PerfBuffer(map, options, handler);
    }

    /** Handles what every CPU's ring holds now, without waiting; returns how many samples it handled. */
    public int consume() {
        checkOpen();
        int n = 0;
        for (PerfRing ring : rings) n += read(ring);
        return n;
    }

    /**
     * Handles what the rings hold now; when they hold nothing, waits up to {@code timeout} for the kernel to
     * signal (per {@link Options}) and handles the signalled rings. Returns how many samples it handled (loss
     * reports go to the handler and are not counted).
     */
    public int poll(Duration timeout) {
        int n = consume();
        if (n > 0) return n;
        if (epoll == null) epoll = watchRings();
        int ready = epoll.await(RingBuffer.millis(timeout));
        for (int i = 0; i < ready; i++) n += read(rings.get(epoll.ready(i)));
        return n;
    }

    private Epoll watchRings() {
        Epoll e = new Epoll();
        try {
            for (int i = 0; i < rings.size(); i++) {
                e.add(rings.get(i).fd(), i, "perf event of CPU " + rings.get(i).cpu());
            }
        } catch (RuntimeException failure) {
            e.close();
            throw failure;
        }
        return e;
    }

    /** How many CPU rings this reader has: a caller that watches them in its own epoll ({@link EventStream}). */
    int ringCount() {
        return rings.size();
    }

    /** The perf event fd of the {@code i}-th CPU ring, readable when the kernel signals samples. */
    int ringFd(int i) {
        return rings.get(i).fd();
    }

    /** Handles what the {@code i}-th CPU ring holds now, without waiting; returns how many samples. */
    int consume(int i) {
        checkOpen();
        return read(rings.get(i));
    }

    private int read(PerfRing ring) {
        long before = sampleCount;
        ring.read(sink);
        return (int) (sampleCount - before);
    }

    /** Samples handed to the handler since the reader was opened. */
    public long sampleCount() {
        return sampleCount;
    }

    /** Samples the kernel reported dropped (full rings) since the reader was opened, all CPUs together. */
    public long lostCount() {
        return lostCount;
    }

    /** The CPUs this reader has a ring for. */
    public List<Integer> cpus() {
        return rings.stream().map(PerfRing::cpu).toList();
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("perf buffer reader of '" + map.name() + "' is closed");
    }

    /** Removes the events from the map, unmaps the rings, closes the events and the epoll instance. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        for (PerfRing ring : rings) {
            try {
                // Programs would otherwise keep writing into events nobody reads (the map holds them alive).
                if (!map.isClosed()) {
                    map.delete(ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(ring.cpu()).array());
                }
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
            } finally {
                ring.close();
            }
        }
        if (epoll != null) epoll.close();
        if (failure != null) throw failure;
    }

    @Override
    public String toString() {
        return "PerfBuffer[" + map.name() + ", " + rings.size() + " CPUs, " + sampleCount + " samples, " + lostCount
                + " lost" + (closed ? ", closed]" : "]");
    }

    /** One CPU's PERF_COUNT_SW_BPF_OUTPUT event and its mmap'd ring. */
    static final class PerfRing implements AutoCloseable {
        /** Offsets in struct perf_event_mmap_page. */
        static final long DATA_HEAD = 1024, DATA_TAIL = 1032, DATA_OFFSET = 1040, DATA_SIZE = 1048;
        static final int RECORD_LOST = 2, RECORD_SAMPLE = 9;
        private static final java.lang.invoke.VarHandle POSITION = JAVA_LONG.varHandle();

        interface Sink {
            void sample(int cpu, MemorySegment data);

            void lost(int cpu, long count);
        }

        private final int cpu;
        private final Fd fd;
        private final Mapping mapping;
        private final MemorySegment meta;
        private final MemorySegment data;
        private final long size;
        private final long mask;
        /** Holds a record that wraps around the end of the ring; long-backed so aligned reads work. */
        private MemorySegment scratch = MemorySegment.ofArray(new long[64]);
        private long tail;

        private PerfRing(int cpu, Fd fd, Mapping mapping, long page) {
            this.cpu = cpu;
            this.fd = fd;
            this.mapping = mapping;
            this.meta = mapping.segment();
            long offset = meta.get(JAVA_LONG, DATA_OFFSET);
            long dataSize = meta.get(JAVA_LONG, DATA_SIZE);
            if (offset == 0) offset = page; // kernels before 4.1 leave these fields zero
            if (dataSize == 0) dataSize = mapping.segment().byteSize() - page;
            this.size = dataSize;
            this.mask = dataSize - 1;
            this.data = meta.asSlice(offset, dataSize).asReadOnly();
            this.tail = meta.get(JAVA_LONG, DATA_TAIL);
        }

        static PerfRing open(int cpu, Options options, long page, String mapName) {
            Fd fd;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = PerfEventAttr.allocate(arena, PerfEventAttr.TYPE_SOFTWARE,
                        PerfEventAttr.SW_BPF_OUTPUT);
                attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_TYPE, PerfEventAttr.SAMPLE_RAW);
                attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 1);
                if (options.watermarkBytes() > 0) {
                    attr.set(JAVA_LONG, PerfEventAttr.FLAGS, PerfEventAttr.FLAG_WATERMARK);
                    attr.set(JAVA_INT, PerfEventAttr.WAKEUP_EVENTS, options.watermarkBytes()); // wakeup_watermark
                } else {
                    attr.set(JAVA_INT, PerfEventAttr.WAKEUP_EVENTS, options.wakeupEvents());
                }
                int r = PerfEventAttr.open(attr, -1, cpu, -1, 0);
                if (r < 0) {
                    throw new BpfException("perf_event_open", -r, Bpf.message("perf_event_open(PERF_COUNT_SW_BPF_OUTPUT"
                            + ") on CPU " + cpu + " for perf event array '" + mapName + "'", -r,
                            -r == 1 || -r == 13 ? "needs root or CAP_PERFMON (see /proc/sys/kernel/perf_event_paranoid)"
                                    : -r == 19 ? "CPU " + cpu + " went offline" : null));
                }
                fd = Fd.adopt(r);
            }
            try {
                Mapping m = Mapping.map(fd.value(), page * (1L + options.pagesPerCpu()), true, 0,
                        "perf ring of CPU " + cpu);
                int r = PerfEventAttr.enable(fd.value());
                if (r < 0) throw new BpfException("PERF_EVENT_IOC_ENABLE", -r, Bpf.message("enabling the perf event "
                        + "of CPU " + cpu, -r, null));
                return new PerfRing(cpu, fd, m, page);
            } catch (RuntimeException e) {
                fd.close();
                throw e;
            }
        }

        int cpu() {
            return cpu;
        }

        int fd() {
            return fd.value();
        }

        /** Hands every record between the tail and the head to {@code sink}; moves the tail past them. */
        void read(Sink sink) {
            long head = (long) POSITION.getAcquire(meta, DATA_HEAD);
            long t = tail;
            try {
                while (t < head) {
                    long offset = t & mask;
                    // Records are 8-byte aligned and the ring a multiple of 8: the 8-byte header never wraps.
                    int type = data.get(JAVA_INT, offset);
                    int length = Short.toUnsignedInt(data.get(java.lang.foreign.ValueLayout.JAVA_SHORT, offset + 6));
                    if (length < 8) {
                        throw new IllegalStateException("corrupt perf ring of CPU " + cpu + ": record of " + length
                                + " bytes at " + t);
                    }
                    MemorySegment record = offset + length <= size ? data.asSlice(offset, length) : unwrap(offset,
                            length);
                    t += length;
                    switch (type) {
                        case RECORD_SAMPLE -> {
                            int raw = record.get(JAVA_INT, 8);
                            sink.sample(cpu, record.asSlice(12, Math.min(raw, length - 12)));
                        }
                        case RECORD_LOST -> sink.lost(cpu, record.get(JAVA_LONG, 16));
                        default -> {
                            // Other record types (throttling…) carry nothing for a BPF output reader.
                        }
                    }
                }
            } finally {
                tail = t;
                POSITION.setRelease(meta, DATA_TAIL, t);
            }
        }

        /** Copies a record cut by the end of the ring into the scratch buffer, in one piece. */
        private MemorySegment unwrap(long offset, int length) {
            if (scratch.byteSize() < length) scratch = MemorySegment.ofArray(new long[(length + 7) / 8]);
            long first = size - offset;
            MemorySegment.copy(data, offset, scratch, 0, first);
            MemorySegment.copy(data, 0, scratch, first, length - first);
            return scratch.asSlice(0, length).asReadOnly();
        }

        @Override
        public void close() {
            mapping.close();
            fd.close();
        }
    }
}
