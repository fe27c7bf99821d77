package io.bpf4j.core.events;

import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.kernel.Fd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/** An epoll instance whose registrations carry a small integer (an index into the caller's readers). */
final class Epoll implements AutoCloseable {
    private static final long DATA = LibC.EPOLL_EVENT.byteOffset(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("data"));
    private static final long EVENTS = 0;
    private static final int EINTR = 4;

    private final Fd fd;
    private final Arena arena = Arena.ofShared();
    private MemorySegment events;
    private int capacity;
    private int registered;

    Epoll() {
        int r = LibC.epollCreate1(LibC.EPOLL_CLOEXEC);
        if (r < 0) throw new BpfException("epoll_create1", -r, Bpf.message("epoll_create1", -r, null));
        fd = Fd.adopt(r);
        grow(4);
    }

    /**
     * Watches {@code target} for readability; {@link #ready(int)} reports {@code index} when it is. Any int will
     * do as the index: the ready list grows with the number of fds watched.
     */
    void add(int target, int index, String what) {
        MemorySegment ev = arena.allocate(LibC.EPOLL_EVENT);
        ev.set(JAVA_INT, EVENTS, LibC.EPOLLIN);
        ev.set(JAVA_LONG.withByteAlignment(4), DATA, index);
        int r = LibC.epollCtl(fd.value(), LibC.EPOLL_CTL_ADD, target, ev);
        if (r < 0) throw new BpfException("epoll_ctl", -r, Bpf.message("epoll_ctl(ADD) of " + what, -r, null));
        if (++registered > capacity) grow(Math.max(registered, capacity * 2));
    }

    private void grow(int n) {
        events = arena.allocate(LibC.EPOLL_EVENT, n);
        capacity = n;
    }

    /**
     * Waits up to {@code timeoutMs} (-1: forever) for readable fds; returns how many are ready (0 on timeout or
     * when a signal interrupted the wait).
     */
    int await(int timeoutMs) {
        int n = LibC.epollWait(fd.value(), events, capacity, timeoutMs);
        if (n == -EINTR) return 0;
        if (n < 0) throw new BpfException("epoll_wait", -n, Bpf.message("epoll_wait", -n, null));
        return n;
    }

    /** The index registered with the {@code i}-th ready fd of the last {@link #await}. */
    int ready(int i) {
        return (int) events.get(JAVA_LONG.withByteAlignment(4), i * LibC.EPOLL_EVENT.byteSize() + DATA);
    }

    @Override
    public void close() {
        fd.close();
        arena.close();
    }
}
