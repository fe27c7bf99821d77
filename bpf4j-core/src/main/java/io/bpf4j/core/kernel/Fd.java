package io.bpf4j.core.kernel;

import io.bpf4j.core.internal.LibC;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An owned kernel file descriptor (a map, program, link, perf event, epoll instance…). Closed exactly once:
 * by {@link #close()}, or — only as a backstop when the owner was never closed — by a {@link Cleaner} after
 * the owner became unreachable.
 */
public final class Fd implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final int value;
    private final AtomicInteger state;
    private final Cleaner.Cleanable cleanable;

    private Fd(int value) {
        this.value = value;
        this.state = new AtomicInteger(value);
        AtomicInteger s = state;
        this.cleanable = CLEANER.register(this, () -> closeOnce(s));
    }

    /** Takes ownership of {@code fd}. */
    public static Fd adopt(int fd) {
        if (fd < 0) throw new IllegalArgumentException("not a file descriptor: " + fd);
        return new Fd(fd);
    }

    /** The descriptor number; throws if it was closed, so a stale number is never handed to the kernel. */
    public int value() {
        if (state.get() < 0) throw new IllegalStateException("file descriptor " + value + " is closed");
        return value;
    }

    /** Whether {@link #close()} has run. */
    public boolean isClosed() {
        return state.get() < 0;
    }

    @Override
    public void close() {
        cleanable.clean();
    }

    private static void closeOnce(AtomicInteger s) {
        int fd = s.getAndSet(-1);
        if (fd >= 0) LibC.close(fd);
    }

    @Override
    public String toString() {
        return "fd " + value + (isClosed() ? " (closed)" : "");
    }
}
