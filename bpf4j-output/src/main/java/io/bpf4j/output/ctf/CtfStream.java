package io.bpf4j.output.ctf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * One CPU's CTF stream: a file of packets. Events wait in a pending area until about two packets' worth have
 * come, then the oldest packet's worth is sorted by timestamp and written; the rest waits, so that an event read
 * late from the ring buffer (one buffer serves all CPUs, and a program can be preempted between taking its
 * timestamp and reserving its record) still lands in order. Only whole packets reach the file.
 */
final class CtfStream {
    /** Bytes of packet header and context, which ends with the u32 cpu_id: see the metadata in {@link CtfSink}. */
    private static final int CONTEXT_END = 84;
    /** Where the first event header starts: the context's end aligned to the event header's 8 bytes. */
    static final int HEADER_BYTES = 88;
    private static final int MAGIC = 0xC1FC1FC1;

    private final int cpu;
    private final Path file;
    private final byte[] uuid;
    private final int packetBytes;
    private final ByteBuffer packet;
    private FileChannel channel;

    // The pending events: their bytes back to back in data, and per event its timestamp, class, offset, length.
    private byte[] data = new byte[1 << 16];
    private byte[] spare = new byte[0];
    private int dataUsed;
    private long[] ts = new long[1024];
    private EventClass[] classes = new EventClass[1024];
    private int[] offsets = new int[1024];
    private int[] lengths = new int[1024];
    private int count;
    /** Bytes the pending events need in packets, header and alignment included (an upper bound). */
    private long pendingBytes;

    private long seq;
    private long lastTs;
    private long discarded;
    private long discardedWritten;
    private long lossTs;
    private long late;
    private long bytesWritten;

    CtfStream(int cpu, Path file, byte[] uuid, int packetBytes) {
        this.cpu = cpu;
        this.file = file;
        this.uuid = uuid;
        this.packetBytes = packetBytes;
        this.packet = ByteBuffer.allocate(packetBytes).order(ByteOrder.nativeOrder());
    }

    /** The largest payload an event may have so that it fits in a packet with its header. */
    static int maxPayload(int packetBytes) {
        return packetBytes - HEADER_BYTES - 16 - 8;
    }

    void add(EventClass c, long timestamp, MemorySegment raw) throws IOException {
        if (count == ts.length) grow();
        int n = c.payloadBytes;
        if (dataUsed + n > data.length) data = Arrays.copyOf(data, Math.max(data.length * 2, dataUsed + n));
        MemorySegment.copy(raw, ValueLayout.JAVA_BYTE, 0, data, dataUsed, n);
        ts[count] = timestamp;
        classes[count] = c;
        offsets[count] = dataUsed;
        lengths[count] = n;
        count++;
        dataUsed += n;
        pendingBytes += 16 + c.payloadAlign + n;
        if (pendingBytes >= 2L * (packetBytes - HEADER_BYTES)) {
            sort();
            writePacket();
        }
    }

    void lost(long n) {
        discarded += n;
        // the loss is read now, on the events' clock (CLOCK_MONOTONIC, as System.nanoTime on Linux)
        lossTs = System.nanoTime();
    }

    /** Events that came after a later one of their stream had been written: written with that later time. */
    long late() {
        return late;
    }

    long bytesWritten() {
        return bytesWritten;
    }

    /** Writes every pending event, and a last empty packet when events were lost after the last one written. */
    void flush() throws IOException {
        sort();
        while (count > 0) writePacket();
        if (discarded > discardedWritten) {
            lastTs = Math.max(lastTs, lossTs);
            writePacket();
        }
    }

    void close() throws IOException {
        if (channel != null) channel.close();
    }

    private void grow() {
        int n = ts.length * 2;
        ts = Arrays.copyOf(ts, n);
        classes = Arrays.copyOf(classes, n);
        offsets = Arrays.copyOf(offsets, n);
        lengths = Arrays.copyOf(lengths, n);
    }

    /** Insertion sort by timestamp: events come almost in order, so this is close to one pass. */
    private void sort() {
        for (int i = 1; i < count; i++) {
            long t = ts[i];
            if (t >= ts[i - 1]) continue;
            EventClass c = classes[i];
            int o = offsets[i], l = lengths[i];
            int j = i - 1;
            while (j >= 0 && ts[j] > t) {
                ts[j + 1] = ts[j];
                classes[j + 1] = classes[j];
                offsets[j + 1] = offsets[j];
                lengths[j + 1] = lengths[j];
                j--;
            }
            ts[j + 1] = t;
            classes[j + 1] = c;
            offsets[j + 1] = o;
            lengths[j + 1] = l;
        }
    }

    /** Writes the oldest pending events that fit in one packet (none: an empty packet), then drops them. */
    private void writePacket() throws IOException {
        if (seq == 0 && discarded > 0) {
            // Readers take a first packet's events_discarded as relative to an unknown start and report only that
            // events "may" have been lost: an empty first packet with 0 makes the count exact.
            lastTs = count > 0 ? ts[0] : lossTs;
            writePacket(0, 0);
        }
        writePacket(count, discarded);
    }

    private void writePacket(int max, long discardedSnapshot) throws IOException {
        ByteBuffer p = packet.clear();
        p.position(HEADER_BYTES);
        int written = 0;
        long first = -1;
        while (written < max) {
            EventClass c = classes[written];
            int headerAt = align(p.position(), 8);
            int payloadAt = align(headerAt + 16, c.payloadAlign);
            if (payloadAt + lengths[written] > packetBytes) break;
            long t = Math.max(ts[written], lastTs);
            if (t != ts[written]) late++;
            lastTs = t;
            if (first < 0) first = t;
            zero(p, headerAt);
            p.putInt(c.id).putInt(0).putLong(t);
            zero(p, payloadAt);
            p.put(data, offsets[written], lengths[written]);
            pendingBytes -= 16 + c.payloadAlign + lengths[written];
            written++;
        }
        // An empty packet ends with its context: a reader would take padding after it for an event header.
        int content = written == 0 ? CONTEXT_END : p.position();
        // packet header: magic, uuid, stream class id, stream instance id (the CPU)
        p.putInt(0, MAGIC);
        p.put(4, uuid);
        p.putInt(20, 0);
        p.putLong(24, cpu);
        // packet context
        p.putLong(32, first < 0 ? lastTs : first);
        p.putLong(40, lastTs);
        p.putLong(48, content * 8L);
        p.putLong(56, content * 8L);
        p.putLong(64, seq++);
        p.putLong(72, discardedSnapshot);
        p.putInt(80, cpu);
        p.putInt(CONTEXT_END, 0);
        discardedWritten = discardedSnapshot;
        if (channel == null) {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
        }
        p.position(0).limit(content);
        while (p.hasRemaining()) channel.write(p);
        bytesWritten += content;
        compact(written);
    }

    /** Zeroes the alignment gap before {@code to}. */
    private static void zero(ByteBuffer p, int to) {
        for (int i = p.position(); i < to; i++) p.put(i, (byte) 0);
        p.position(to);
    }

    /** Drops the first {@code done} events; the others' bytes move to the front (sorting mixed their order). */
    private void compact(int done) {
        if (done == 0) return;
        int rest = count - done;
        byte[] kept = spare.length >= data.length ? spare : new byte[data.length];
        int used = 0;
        for (int i = 0; i < rest; i++) {
            int from = done + i;
            System.arraycopy(data, offsets[from], kept, used, lengths[from]);
            ts[i] = ts[from];
            classes[i] = classes[from];
            offsets[i] = used;
            lengths[i] = lengths[from];
            used += lengths[from];
        }
        Arrays.fill(classes, rest, count, null);
        spare = data;
        data = kept;
        dataUsed = used;
        count = rest;
    }

    private static int align(int at, int to) {
        return (at + to - 1) / to * to;
    }
}
