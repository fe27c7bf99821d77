package io.bpf4j.core.symbols;

import io.bpf4j.core.jvm.JvmAttach;
import io.bpf4j.core.jvm.JvmAttachException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * What a {@link Symbolizer} does for the HotSpot JVMs whose stacks it names ({@link Symbolizer#hotSpotJvms}), so
 * that their Java frames have names without a JVM flag or agent:
 * <ul>
 * <li>a JVM with no perf map written since it started is made to write one, as {@code jcmd PID Compiler.perfmap}
 *     does, through the Attach API ({@link JvmAttach}); on a daemon thread, which no tool waits for (attaching the
 *     first time takes from a tenth of a second to seconds);</li>
 * <li>when its frames fall in its code cache but outside the map (methods compiled since), it is made to write it
 *     again, at most every {@link #MIN_REFRESH}; an address that stays unnamed asks for no second refresh;</li>
 * <li>once per JVM, a note says that the map was written, or why it could not be, and whether the JVM runs without
 *     {@code -XX:+PreserveFramePointer} (JIT-compiled code then keeps no frame pointer, and stacks walked through
 *     frame pointers skip or stop at JIT-compiled frames).</li>
 * </ul>
 * Without attaching ({@code --no-perfmap}) only the frame-pointer note is given. The JVM running this code is left
 * alone (the Attach API does not attach a JVM to itself). Closing it detaches from the JVMs.
 */
public final class HotSpotJvms implements AutoCloseable {
    /** The shortest time between two perf maps one JVM is asked for. */
    public static final Duration MIN_REFRESH = Duration.ofMillis(500);
    /** The flag that keeps frame pointers in JIT-compiled code. */
    public static final String PRESERVE_FRAME_POINTER = "-XX:+PreserveFramePointer";
    /** Unnamed code-cache addresses remembered per JVM, at most (a refresh is asked for new ones only). */
    private static final int MAX_UNKNOWN = 1 << 16;
    /** Where the options in these environment variables go among the command line's, first to last. */
    private static final List<String> OPTIONS_BEFORE = List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");
    private static final String OPTIONS_AFTER = "_JAVA_OPTIONS";

    private final boolean attach;
    private final Consumer<String> notes;
    private final ScheduledExecutorService attacher;
    private final Map<Long, Jvm> jvms = new ConcurrentHashMap<>();
    private final long self = ProcessHandle.current().pid();
    private volatile LongConsumer readMap = pid -> { };

    /** One JVM: what was asked of it, and the connection (used on the attacher thread only). */
    private static final class Jvm {
        final long pid;
        final Set<Long> unknown = ConcurrentHashMap.newKeySet();
        volatile JvmAttach connection;
        boolean written;
        // guarded by this
        boolean failed;
        boolean asked;
        long lastWrite;
        ScheduledFuture<?> pending;
        ScheduledFuture<?> writing;

        Jvm(long pid) {
            this.pid = pid;
        }

        /** How long until it may be asked again. */
        synchronized long untilNext(long now) {
            return asked ? Math.max(0, MIN_REFRESH.toNanos() - (now - lastWrite)) : 0;
        }
    }

    /**
     * @param attach whether to attach to the JVMs to have them write perf maps; else only notes are given
     * @param notes  where the one-line notes go (a tool's stderr, prefixed with its name)
     */
    public HotSpotJvms(boolean attach, Consumer<String> notes) {
        this.attach = attach;
        this.notes = notes;
        this.attacher = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("bpf4j-jvm-attach").factory());
    }

    /**
     * What to do, on the attacher thread, once JVM {@code pid} wrote its perf map: the symbolizer reads it there
     * (and the JVM's symbol tables), so that naming its frames (at a tool's end) finds them read.
     */
    void onWritten(LongConsumer read) {
        this.readMap = read;
    }

    /** A process read by the symbolizer: if it is a HotSpot JVM seen for the first time, looks at it. */
    void seen(ProcessSymbols p) {
        long pid = p.pid();
        if (!p.isHotSpot() || pid == self || jvms.containsKey(pid)) return;
        Jvm j = new Jvm(pid);
        if (jvms.putIfAbsent(pid, j) != null) return;
        if (!framePointers(pid)) {
            notes.accept("JVM " + pid + " runs without " + PRESERVE_FRAME_POINTER + ": its stacks skip or stop at "
                    + "JIT-compiled frames; start it with " + PRESERVE_FRAME_POINTER + " for complete stacks");
        }
        if (attach && !freshPerfMap(pid)) schedule(j, 0);
    }

    /** An address of process {@code pid} in its code cache that its perf map does not name. */
    void unknown(long pid, long address) {
        Jvm j = jvms.get(pid);
        if (!attach || j == null || j.unknown.size() >= MAX_UNKNOWN || !j.unknown.add(address)) return;
        schedule(j, j.untilNext(System.nanoTime()));
    }

    private void schedule(Jvm j, long delayNanos) {
        synchronized (j) {
            if (j.failed || j.pending != null) return;
            j.pending = attacher.schedule(() -> write(j), delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Has the JVM write its perf map; on the attacher thread. */
    private void write(Jvm j) {
        synchronized (j) {
            // new unknown addresses ask for the next write while this one goes on
            j.writing = j.pending;
            j.pending = null;
            j.asked = true;
            j.lastWrite = System.nanoTime();
        }
        long start = System.nanoTime();
        try {
            if (j.connection == null) j.connection = JvmAttach.attach(j.pid);
            j.connection.jcmd("Compiler.perfmap");
            long took = (System.nanoTime() - start) / 1_000_000;
            try {
                readMap.accept(j.pid);
            } catch (RuntimeException e) {
                // read again, and any error reported, when the tool names its frames
            }
            if (!j.written) {
                j.written = true;
                notes.accept("attached to JVM " + j.pid + ", which wrote its perf map " + PerfMap.path(j.pid)
                        + " (" + took + " ms): Java frames are named; "
                        + "--no-perfmap leaves JVMs alone");
            }
        } catch (JvmAttachException e) {
            synchronized (j) {
                j.failed = true;
            }
            if (j.connection != null) j.connection.close();
            j.connection = null;
            // a JVM that exited meanwhile is not worth a note
            if (ProcessHandle.of(j.pid).isPresent()) {
                notes.accept(e.getMessage() + "; its JIT-compiled frames show as [unknown_java] (jcmd " + j.pid
                        + " Compiler.perfmap writes its perf map)");
            }
        }
    }

    /**
     * Waits at most {@code max} for the perf maps asked of the JVMs attached to and not written yet, asking at once
     * for those a refresh interval still delays: for a tool's last naming pass. A first attach, which takes longer
     * than a tool may take to exit, is not waited for.
     *
     * @return whether any JVM is attached to: its perf map may have been written (and read) since its frames were
     *         last named, during this wait or before it (a last pass asks for a map at its first unnamed frame)
     */
    public boolean settle(Duration max) {
        List<Future<?>> waits = new ArrayList<>();
        boolean attached = false;
        for (Jvm j : jvms.values()) {
            synchronized (j) {
                if (j.connection == null) continue;
                attached = true;
                if (j.writing != null && !j.writing.isDone()) waits.add(j.writing);
                if (j.pending == null) continue;
                if (j.pending.getDelay(TimeUnit.NANOSECONDS) > 0 && j.pending.cancel(false)) {
                    j.pending = attacher.schedule(() -> write(j), 0, TimeUnit.NANOSECONDS);
                }
                waits.add(j.pending);
            }
        }
        long deadline = System.nanoTime() + max.toNanos();
        for (Future<?> f : waits) {
            try {
                f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // not written in time: the frames stay unnamed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return attached;
    }

    /** Whether a perf map at {@link PerfMap#path} was written since process {@code pid} started. */
    private static boolean freshPerfMap(long pid) {
        try {
            Instant written = Files.getLastModifiedTime(PerfMap.path(pid)).toInstant();
            Optional<Instant> started = ProcessHandle.of(pid).flatMap(h -> h.info().startInstant());
            return started.isPresent() && !written.isBefore(started.get());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Whether JVM {@code pid} keeps frame pointers in JIT-compiled code: the last {@code PreserveFramePointer} among
     * its options, from {@code JAVA_TOOL_OPTIONS}, {@code JDK_JAVA_OPTIONS}, its command line and
     * {@code _JAVA_OPTIONS}, in the order the JVM reads them; true when they cannot be read (no note then).
     */
    static boolean framePointers(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        List<String> options = new ArrayList<>();
        try {
            Map<String, String> env = new HashMap<>();
            for (String e : nulSeparated(proc.resolve("environ"))) {
                int eq = e.indexOf('=');
                if (eq > 0) env.put(e.substring(0, eq), e.substring(eq + 1));
            }
            for (String v : OPTIONS_BEFORE) options.addAll(words(env.get(v)));
            options.addAll(nulSeparated(proc.resolve("cmdline")));
            options.addAll(words(env.get(OPTIONS_AFTER)));
        } catch (IOException e) {
            return true;
        }
        boolean on = false;
        for (String o : options) {
            if (o.equals(PRESERVE_FRAME_POINTER)) on = true;
            else if (o.equals("-XX:-PreserveFramePointer")) on = false;
        }
        return on;
    }

    private static List<String> nulSeparated(Path file) throws IOException {
        String s = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        return s.isEmpty() ? List.of() : List.of(s.split("\0"));
    }

    private static List<String> words(String s) {
        return s == null || s.isBlank() ? List.of() : List.of(s.strip().split("\\s+"));
    }

    /** Stops asking and detaches from the JVMs; a perf map being written is not waited for. */
    @Override
    public void close() {
        attacher.shutdownNow();
        for (Jvm j : jvms.values()) {
            // the attacher thread may still be using it: detaching only forgets the socket's path
            JvmAttach c = j.connection;
            if (c != null) c.close();
        }
    }
}
