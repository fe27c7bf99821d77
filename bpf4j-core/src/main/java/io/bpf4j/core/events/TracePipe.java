package io.bpf4j.core.events;

import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.internal.ObjectPath;
import io.bpf4j.core.kernel.Fd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reads the kernel's trace pipe, where {@code bpf_trace_printk()} writes — bcc's {@code trace_print()} and
 * {@code trace_fields()}, and {@code bpftool prog tracelog}. Mounts tracefs when it is missing. Reading consumes:
 * one reader sees each line (the trace pipe is system-wide, so other tracers' lines appear too).
 */
public final class TracePipe implements AutoCloseable {
    private final Fd fd;
    private final Epoll epoll = new Epoll();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(64 * 1024);
    private final StringBuilder partial = new StringBuilder();

    private TracePipe(int fd) {
        this.fd = Fd.adopt(fd);
    }

    /** Opens /sys/kernel/tracing/trace_pipe for reading. */
    public static TracePipe open() {
        String path = ObjectPath.ensureTraceFs().resolve("trace_pipe").toString();
        int fd = LibC.open(path, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new BpfException("open " + path, -fd, Bpf.message("opening " + path, -fd,
                    -fd == Errno.EACCES.code() || -fd == Errno.EPERM.code() ? "reading the trace pipe needs root"
                            : null));
        }
        TracePipe pipe = new TracePipe(fd);
        pipe.epoll.add(fd, 0, path);
        return pipe;
    }

    /**
     * Waits up to {@code timeout} for output, then hands every complete line available to {@code sink}; returns
     * how many lines it handed over.
     */
    public int poll(Duration timeout, Consumer<TraceLine> sink) {
        epoll.await((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        int lines = 0;
        while (true) {
            long n = LibC.read(fd.value(), buffer, buffer.byteSize());
            if (n == -Errno.EAGAIN.code() || n == 0) return lines;
            if (n < 0) throw new BpfException("read trace_pipe", (int) -n, Bpf.message("reading trace_pipe", (int) -n, null));
            partial.append(new String(buffer.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                    StandardCharsets.UTF_8));
            int nl;
            while ((nl = partial.indexOf("\n")) >= 0) {
                sink.accept(TraceLine.parse(partial.substring(0, nl)));
                partial.delete(0, nl + 1);
                lines++;
            }
        }
    }

    /**
     * Reads lines until one satisfies {@code match} or {@code timeout} passes (bcc's trace_fields in a loop with
     * a filter); lines read on the way are dropped.
     */
    public Optional<TraceLine> awaitLine(Duration timeout, java.util.function.Predicate<TraceLine> match) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<TraceLine> found = new ArrayList<>(1);
        while (found.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) return Optional.empty();
            poll(Duration.ofNanos(left), line -> {
                if (found.isEmpty() && match.test(line)) found.add(line);
            });
        }
        return Optional.of(found.getFirst());
    }

    @Override
    public void close() {
        epoll.close();
        fd.close();
        arena.close();
    }
}
