package io.bpf4j.core.events;

import io.bpf4j.core.BpfMap;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads several ring buffers from one thread with one epoll instance (libbpf's {@code ring_buffer__add}): each
 * ring keeps its own handler, and a poll handles only the rings the kernel signalled.
 * <pre>{@code
 * try (RingBufferPoller poller = new RingBufferPoller()) {
 *     poller.add(execs, record -> ...);
 *     poller.add(exits, record -> ...);
 *     while (running) poller.poll(Duration.ofMillis(100));
 * }
 * }</pre>
 * The poller owns the readers it creates and closes them with itself; the maps stay open.
 */
public final class RingBufferPoller implements AutoCloseable {
    private final Epoll epoll = new Epoll();
    private final List<RingBuffer> rings = new ArrayList<>();
    private boolean closed;

    /** An empty poller. */
    public RingBufferPoller() {
    }

    /** Maps the ring buffer {@code map} and polls it with the others; returns its reader (for counters). */
    public RingBuffer add(BpfMap map, RecordHandler handler) {
        checkOpen();
        RingBuffer ring = RingBuffer.open(map, handler);
        try {
            epoll.add(ring.mapFd(), rings.size(), "ring buffer '" + ring.name() + "'");
        } catch (RuntimeException e) {
            ring.close();
            throw e;
        }
        rings.add(ring);
        return ring;
    }

    /** The readers, in the order they were added. */
    public List<RingBuffer> rings() {
        return List.copyOf(rings);
    }

    /** Handles the records available now in every ring, without waiting; returns how many. */
    public int consume() {
        checkOpen();
        int n = 0;
        for (RingBuffer ring : rings) n += ring.consume();
        return n;
    }

    /**
     * Handles the records available now; when there are none in any ring, waits up to {@code timeout} for the
     * kernel to signal some and handles the signalled rings. Returns how many records it handled.
     */
    public int poll(Duration timeout) {
        int n = consume();
        if (n > 0) return n;
        int ready = epoll.await(RingBuffer.millis(timeout));
        for (int i = 0; i < ready; i++) n += rings.get(epoll.ready(i)).consume();
        return n;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("ring buffer poller is closed");
    }

    /** Closes every reader and the epoll instance. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (RingBuffer ring : rings) ring.close();
        epoll.close();
    }
}
