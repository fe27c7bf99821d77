package io.bpf4j.tools;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectSpec;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Work a tool does on a daemon thread while it traces, so that little is left to do when it ends: reading the
 * kernel's and the traced processes' symbol tables and naming the stacks seen so far, so that a stack tool only
 * names the last few stacks after Ctrl-C before it prints (exit within 0.1 s). The work is best effort: a round that
 * fails is retried at the next one, and whatever it could not do is done by the tool at the end, as without it.
 *
 * <p>{@link #prepare} starts the thread, which waits; {@link #quiet} then tells the tool's BPF programs (built with
 * {@code BPF4J_QUIET}) to leave the thread's own events out, before they are attached: its work is not what the tool
 * measures, and each of its stacks named would bring more to name. {@link #begin()} — after attaching, so that
 * start-up is not delayed — runs a round at once and then every {@code period}, or less often when rounds take
 * long (the thread uses at most a tenth of a CPU). {@link #close()} stops it before the tool reads its maps for the
 * last time. A round reads BPF maps only through {@link #read}, which {@link #close()}
 * waits for, so no map is read after it returns and the tool may close its object; a round still naming frames goes
 * on alongside the tool's own last pass (the symbol caches are shared and thread-safe) and ends at its next
 * {@link #running()} check. The thread is never interrupted: an interrupt would abort a symbol file being read, which
 * would then be taken as unreadable.
 */
public final class Background implements AutoCloseable {
    /** The .bss variable of {@code BPF4J_QUIET} (bpf4j_tools.h). */
    static final String QUIET_TID = "bpf4j_quiet_tid";

    /** One round of background work. */
    @FunctionalInterface
    public interface Round {
        /** Does one round; should check {@link Background#running()} between steps. */
        void run(Background background) throws Exception;
    }

    /** The wait after a round is at least this many times the round's own duration. */
    private static final long LOAD_FACTOR = 9;

    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch go = new CountDownLatch(1);
    private final CountDownLatch stop = new CountDownLatch(1);
    private final ReentrantLock reading = new ReentrantLock();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile int tid;

    private Background(String name, Duration period, Round round) {
        thread = Thread.ofPlatform().daemon().name(name).unstarted(() -> {
            tid = currentTid();
            ready.countDown();
            try {
                go.await();
                if (!running) return;
                warmUp();
                long wait;
                do {
                    long start = System.nanoTime();
                    try {
                        round.run(this);
                    } catch (Exception e) {
                        // best effort: the tool's own last pass does what this could not, and reports the errors
                    }
                    // at most a tenth of a CPU: a round that reads a full map of stacks on a busy machine takes
                    // longer, and rounds back to back would cost more than naming everything at the end
                    wait = Math.max(period.toNanos(), LOAD_FACTOR * (System.nanoTime() - start));
                } while (running && !stop.await(wait, TimeUnit.NANOSECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /**
     * Starts the thread {@code name}, which waits for {@link #begin()} to run {@code round} now and every
     * {@code period} until closed.
     */
    public static Background prepare(String name, Duration period, Round round) {
        Background b = new Background(name, period, round);
        b.thread.start();
        boolean interrupted = false;
        while (true) {
            try {
                b.ready.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return b;
    }

    /** {@link #prepare} and {@link #begin()}: for work whose thread the BPF programs need not leave out. */
    public static Background start(String name, Duration period, Round round) {
        return prepare(name, period, round).begin();
    }

    /** The thread's id in the kernel (what {@code bpf_get_current_pid_tgid} gives in its low half); 0 if unknown. */
    public int tid() {
        return tid;
    }

    /**
     * Leaves the thread's events out of {@code obj}'s programs: writes its id into their {@code BPF4J_QUIET}
     * variable, in the {@code .bss} of the loaded object (spec: its description, for the variable's place). Call
     * it before attaching them.
     *
     * @throws IllegalArgumentException when the object has no such variable
     */
    public Background quiet(ObjectSpec spec, BpfObject obj) {
        ObjectMap.Variable v = spec.map(".bss").stream().flatMap(m -> m.variables().stream())
                .filter(x -> x.name().equals(QUIET_TID)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("the object has no " + QUIET_TID + " (BPF4J_QUIET)"));
        if (tid <= 0) return this;
        BpfMap bss = obj.map(".bss");
        byte[] zero = new byte[4];
        byte[] value = bss.lookup(zero).orElseThrow();
        MemorySegment.ofArray(value).set(ValueLayout.JAVA_INT_UNALIGNED, v.offset(), tid);
        bss.update(zero, value);
        return this;
    }

    /** Runs the rounds from now on. */
    public Background begin() {
        go.countDown();
        return this;
    }

    /** Whether the work should go on ({@link #close()} not called yet). */
    public boolean running() {
        return running;
    }

    /**
     * Runs {@code read} (which reads the tool's BPF maps) unless the work was stopped; {@code null} when it was.
     * {@link #close()} waits for a read in progress.
     */
    public <T> T read(Supplier<T> read) {
        reading.lock();
        try {
            return running ? read.get() : null;
        } finally {
            reading.unlock();
        }
    }

    /**
     * Stops the work: returns once no map read is in progress and none will start; the thread ends at its next
     * check. Idempotent.
     */
    @Override
    public void close() {
        running = false;
        stop.countDown();
        go.countDown();
        reading.lock();
        reading.unlock();
    }

    /**
     * What a report does the first time it prints, whichever tool: a number formatted ({@code %d} loads the
     * locale's digits), the time of day (the time zone database) — tens of milliseconds when first done at the end.
     */
    private static void warmUp() {
        String.format("%d %s %.1f", 1L, "", 1.0);
        LocalTime.now();
    }

    /** The calling thread's id in the kernel, from /proc/thread-self ({@code PID/task/TID}); 0 if unreadable. */
    private static int currentTid() {
        try {
            return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }
}
