package io.bpf4j.core.events;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.object.MapType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads any number of ring buffers and perf buffers on one thread, woken by one epoll instance, and hands their
 * records, the losses reported for them and periodic flushes to the actions registered on it — the shape of JFR's
 * {@code RecordingStream}.
 * <pre>{@code
 * record Exec(int pid, String comm) {}
 * try (EventStream stream = new EventStream().stopOnSignal(); BpfObject obj = BpfObject.load(spec)) {
 *     stream.onRecord(obj.map("events"), RecordMapper.of(btf, "event", Exec.class), System.out::println);
 *     stream.lossCounter(obj.map("lost"));
 *     stream.onLost(loss -> System.err.println(loss.count() + " events lost"));
 *     stream.onFlush(Duration.ofSeconds(1), () -> System.out.println("-- " + LocalTime.now()));
 *     attach(obj);
 *     stream.start(); // until Ctrl-C
 * }
 * }</pre>
 *
 * <p><b>Records.</b> {@link #onRecord(BpfMap, RawHandler)} and its decoding variants open a reader on a
 * BPF_MAP_TYPE_RINGBUF or BPF_MAP_TYPE_PERF_EVENT_ARRAY map at once: from then on nothing the programs write to
 * it is missed, even before {@link #start()}. Actions run on the thread that runs the stream, one at a time.
 *
 * <p><b>Losses.</b> Nothing is lost silently. A full perf ring drops samples and the kernel says how many; a full
 * ring buffer refuses {@code bpf_ringbuf_reserve}/{@code _output} in the program, which only the program can
 * count — in a map given to {@link #lossCounter(BpfMap)}. Both reach {@link #onLost} and {@link #lostCount()}.
 *
 * <p><b>Running.</b> {@link #start()} runs the stream on the calling thread until {@link #stop()}, {@link #close()}
 * (from any thread) or a signal ({@link #stopOnSignal()}); {@link #start(Duration)} also ends when the duration
 * has passed; {@link #startAsync()} runs it on a thread of its own. When it ends it first delivers what the
 * buffers still hold. A stop is final: a later start returns at once.
 *
 * <p>{@link #close()} unmaps the buffers and closes the perf events, the epoll instance and its own fds; the maps
 * stay open. With {@link #stopOnSignal()}, declare the stream first in try-with-resources: it closes last, and the
 * JVM's exit waits for it, so everything else has been released by then too.
 */
public final class EventStream implements AutoCloseable {
    /** How long the JVM's exit waits for {@link #close()} after a signal stopped the stream. */
    private static final long SHUTDOWN_WAIT_S = 5;
    /** How often the loss counters are read while the stream runs (each read is a syscall per counter). */
    private static final long LOSS_READ_NS = TimeUnit.SECONDS.toNanos(1);
    /** The epoll index of the eventfd that {@link #stop()} writes to. */
    private static final int WAKE = -1;

    /**
     * Records that were lost.
     *
     * @param map   the perf event array whose ring was full, or the {@link #lossCounter counter map} that counted
     *              ring-buffer reservations the programs could not make
     * @param cpu   the CPU they were lost on, or -1 when the counter is not per CPU
     * @param count how many
     */
    public record Loss(String map, int cpu, long count) {
    }

    /** Receives the raw records of one map, on the stream's thread. */
    @FunctionalInterface
    public interface RawHandler {
        /**
         * One record. {@code cpu} is the CPU a perf buffer sample was written on, -1 for a ring buffer record
         * (ring buffers are shared by all CPUs). {@code record} is a read-only view of the buffer, valid only during
         * this call (see {@link RecordHandler#onRecord} and {@link PerfBuffer.Handler#onSample}).
         */
        void onRecord(int cpu, MemorySegment record);
    }

    /** Something the loop reads when epoll says it is ready: a ring buffer, or one CPU's perf ring. */
    @FunctionalInterface
    private interface Source {
        int consume();
    }

    private static final class Flush {
        final Runnable action;
        final long interval;
        long next;

        Flush(Runnable action, long interval) {
            this.action = action;
            this.interval = interval;
        }
    }

    /** A map the programs count lost records in, and how much of each CPU's count was reported. */
    private static final class LossCounter {
        final BpfMap map;
        long[] reported = new long[0];

        LossCounter(BpfMap map) {
            this.map = map;
        }
    }

    private final Epoll epoll = new Epoll();
    private final Fd wake;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
    private final List<RingBuffer> rings = new ArrayList<>();
    private final List<PerfBuffer> perfBuffers = new ArrayList<>();
    private final List<Source> sources = new ArrayList<>();
    private final List<LossCounter> counters = new ArrayList<>();
    private final List<Consumer<Loss>> lossActions = new ArrayList<>();
    private final List<Flush> flushes = new ArrayList<>();
    private final CountDownLatch released = new CountDownLatch(1);
    /** Guards the fields below and the eventfd's life, for stop() and close() from other threads. */
    private final Object lock = new Object();
    private volatile boolean stopped;
    private Thread running;
    private boolean closing;
    private boolean closeWhenDone;
    private boolean freed;
    private Thread hook;
    private volatile long lost;

    /** A stream with nothing to read yet. */
    public EventStream() {
        int r = LibC.eventfd(0, LibC.EFD_CLOEXEC);
        if (r < 0) {
            epoll.close();
            throw new BpfException("eventfd", -r, Bpf.message("eventfd", -r, null));
        }
        wake = Fd.adopt(r);
        one.set(ValueLayout.JAVA_LONG, 0, 1);
        epoll.add(wake.value(), WAKE, "the stream's wake-up eventfd");
    }

    /**
     * Reads {@code map}, a ring buffer or a perf event array, and gives each record to {@code handler} as it is in
     * the buffer.
     *
     * @throws IllegalArgumentException when the map is neither
     * @throws BpfException             when the kernel refuses the mapping or the perf events
     */
    public EventStream onRecord(BpfMap map, RawHandler handler) {
        Objects.requireNonNull(handler);
        checkModifiable();
        if (map.type() == MapType.RINGBUF) {
            RingBuffer ring = RingBuffer.open(map, rec -> handler.onRecord(-1, rec));
            watch(ring, List.of(ring::consume), List.of(ring.mapFd()), "ring buffer '" + map.name() + "'");
            rings.add(ring);
        } else if (map.type() == MapType.PERF_EVENT_ARRAY) {
            PerfBuffer perf = PerfBuffer.open(map, new PerfBuffer.Handler() {
                @Override
                public void onSample(int cpu, MemorySegment data) {
                    handler.onRecord(cpu, data);
                }

                @Override
                public void onLost(int cpu, long count) {
                    report(new Loss(map.name(), cpu, count));
                }
            });
            // each CPU's ring is a source of its own: a wake-up reads only the rings the kernel signalled
            List<Source> cpuRings = new ArrayList<>();
            List<Integer> fds = new ArrayList<>();
            for (int i = 0; i < perf.ringCount(); i++) {
                int ring = i;
                cpuRings.add(() -> perf.consume(ring));
                fds.add(perf.ringFd(i));
            }
            watch(perf, cpuRings, fds, "perf event array '" + map.name() + "'");
            perfBuffers.add(perf);
        } else {
            throw new IllegalArgumentException("map '" + map.name() + "' is a " + map.type().name().toLowerCase()
                    + " map, not a ring buffer or perf event array: it has no records to stream");
        }
        return this;
    }

    /** Adds {@code reader}'s sources to the epoll instance, or closes it when that fails. */
    private void watch(AutoCloseable reader, List<Source> added, List<Integer> fds, String what) {
        int first = sources.size();
        try {
            for (int i = 0; i < added.size(); i++) {
                sources.add(added.get(i));
                epoll.add(fds.get(i), first + i, what);
            }
        } catch (RuntimeException e) {
            sources.subList(first, sources.size()).clear();
            try {
                reader.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * Reads {@code map} and gives each record to {@code handler} decoded by {@code decoder} (the C struct's fields
     * read with the object's BTF). A record shorter than the struct fails the stream: the program and the type
     * disagree.
     */
    public EventStream onRecord(BpfMap map, RecordDecoder decoder, Consumer<BtfRecord> handler) {
        Objects.requireNonNull(handler);
        return onRecord(map, (cpu, rec) -> handler.accept(decoder.decode(rec)));
    }

    /** Reads {@code map} and gives each record to {@code handler} as the Java record {@code mapper} makes. */
    public <R extends Record> EventStream onRecord(BpfMap map, RecordMapper<R> mapper, Consumer<R> handler) {
        Objects.requireNonNull(handler);
        return onRecord(map, (cpu, rec) -> handler.accept(mapper.decode(rec)));
    }

    /**
     * Counts as lost what {@code counter} counts: an array or per-CPU array map whose entry 0 is a {@code __u64}
     * the programs add to when {@code bpf_ringbuf_reserve} or {@code bpf_ringbuf_output} fails — a ring buffer
     * keeps no count of what it refused. The stream reads it about once a second while it runs, before each
     * periodic flush and when it ends, and reports its growth (from zero) to {@link #onLost}.
     */
    public EventStream lossCounter(BpfMap counter) {
        checkModifiable();
        if (counter.type() != MapType.ARRAY && counter.type() != MapType.PERCPU_ARRAY) {
            throw new IllegalArgumentException("map '" + counter.name() + "' is a " + counter.type().name()
                    .toLowerCase() + " map: a loss counter is an array or per-CPU array whose entry 0 is a __u64");
        }
        if (counter.valueSize() != 8) {
            throw new IllegalArgumentException("map '" + counter.name() + "' has " + counter.valueSize()
                    + "-byte values: a loss counter's value is a __u64");
        }
        counters.add(new LossCounter(counter));
        return this;
    }

    /** Calls {@code action} with each loss, on the stream's thread (see {@link #lossCounter}). */
    public EventStream onLost(Consumer<Loss> action) {
        checkModifiable();
        lossActions.add(Objects.requireNonNull(action));
        return this;
    }

    /**
     * Calls {@code action} after each batch of records the stream delivered — what one wake-up found — e.g. to
     * flush an output stream once per batch rather than once per record.
     */
    public EventStream onFlush(Runnable action) {
        checkModifiable();
        flushes.add(new Flush(Objects.requireNonNull(action), 0));
        return this;
    }

    /**
     * Calls {@code action} every {@code interval} while the stream runs, the first time one interval after it
     * starts (or, when an action adds it, after this call); before it runs, every record and loss pending is delivered, so the action sees all that happened
     * until then (e.g. it prints per-interval totals). Late runs do not shift the schedule.
     */
    public EventStream onFlush(Duration interval, Runnable action) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("a flush interval must be positive, not " + interval);
        }
        checkModifiable();
        Flush f = new Flush(Objects.requireNonNull(action), interval.toNanos());
        f.next = System.nanoTime() + f.interval; // added by an action: one interval from now (start() resets it)
        flushes.add(f);
        return this;
    }

    /** Removes a flush or loss action given earlier; returns whether there was one. */
    public boolean remove(Object action) {
        checkModifiable();
        return flushes.removeIf(f -> f.action == action) | lossActions.removeIf(a -> a == action);
    }

    /**
     * Makes Ctrl-C (SIGINT), SIGTERM — anything that shuts the JVM down — stop the stream as {@link #stop()} does,
     * and holds the JVM's exit until {@link #close()} has released everything (at most {@value #SHUTDOWN_WAIT_S}
     * s), so the code after {@link #start()} runs — prints its totals, detaches its programs — before the JVM
     * goes.
     */
    public EventStream stopOnSignal() {
        synchronized (lock) {
            checkOpen();
            if (hook != null) return this;
            hook = new Thread(() -> {
                stop();
                try {
                    released.await(SHUTDOWN_WAIT_S, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "bpf4j-event-stream-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
        }
        return this;
    }

    /**
     * Runs the stream on this thread until {@link #stop()}, {@link #close()} or a signal; then delivers what the
     * buffers still hold and returns.
     *
     * @throws IllegalStateException when the stream runs already or is closed
     * @throws RuntimeException      what an action threw (the stream stops there)
     */
    public void start() {
        run(false, 0);
    }

    /**
     * Runs the stream as {@link #start()} does, and at most for {@code duration}.
     *
     * @return {@code true} when {@link #stop()}, {@link #close()} or a signal ended it, {@code false} when the
     * duration passed
     */
    public boolean start(Duration duration) {
        if (duration.isNegative()) throw new IllegalArgumentException("negative duration: " + duration);
        long nanos;
        try {
            nanos = duration.toNanos();
        } catch (ArithmeticException longerThanNanosReach) {
            return run(false, 0);
        }
        return run(true, System.nanoTime() + nanos);
    }

    /**
     * Runs the stream on a new thread, as {@link #start()} does; the future completes when it ends, exceptionally
     * with what an action threw.
     */
    public CompletableFuture<Void> startAsync() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = Thread.ofPlatform().name("bpf4j-event-stream").daemon().unstarted(() -> {
            try {
                loop(false, 0);
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        // claimed before it starts: a close() right after this returns waits for it
        claim(thread);
        thread.start();
        return done;
    }

    private boolean run(boolean timed, long deadline) {
        claim(Thread.currentThread());
        return loop(timed, deadline);
    }

    private void claim(Thread thread) {
        synchronized (lock) {
            checkOpen();
            if (running != null) throw new IllegalStateException("the event stream runs already, on thread '"
                    + running.getName() + "'");
            running = thread;
        }
    }

    private boolean loop(boolean timed, long deadline) {
        try {
            long now = System.nanoTime();
            for (Flush f : flushes) f.next = now + f.interval;
            long nextLossRead = now + LOSS_READ_NS;
            while (!stopped) {
                now = System.nanoTime();
                if (timed && now - deadline >= 0) break;
                long due = timed ? deadline - now : Long.MAX_VALUE;
                if (!counters.isEmpty()) {
                    if (now - nextLossRead >= 0) {
                        readLossCounters();
                        nextLossRead = now + LOSS_READ_NS;
                    }
                    due = Math.min(due, nextLossRead - now);
                }
                boolean flushDue = false;
                for (Flush f : flushes) {
                    if (f.interval == 0) continue;
                    if (now - f.next >= 0) flushDue = true;
                    due = Math.min(due, f.next - now);
                }
                if (flushDue) {
                    periodicFlush(now);
                    continue;
                }
                int n = consumeAll();
                if (n == 0) n = await(due);
                if (n > 0) batchFlush();
            }
            boolean byStop = stopped;
            deliverPending();
            return byStop;
        } finally {
            boolean release;
            synchronized (lock) {
                running = null;
                release = closeWhenDone;
                lock.notifyAll();
            }
            if (release) release();
        }
    }

    private void periodicFlush(long now) {
        deliverPending();
        // a copy: an action may remove itself or another
        for (Flush f : List.copyOf(flushes)) {
            if (f.interval == 0 || now - f.next < 0) continue;
            f.next += f.interval;
            f.action.run();
            if (stopped) return;
        }
    }

    private int await(long nanos) {
        int ms = nanos == Long.MAX_VALUE ? -1 : (int) Math.min(Integer.MAX_VALUE, Math.ceilDiv(nanos, 1_000_000L));
        int ready = epoll.await(ms);
        int n = 0;
        for (int i = 0; i < ready; i++) {
            int index = epoll.ready(i);
            // the wake-up eventfd stays readable once written: a stop is final, nothing waits after it
            if (index != WAKE) n += sources.get(index).consume();
        }
        return n;
    }

    private int consumeAll() {
        int n = 0;
        for (RingBuffer ring : rings) n += ring.consume();
        for (PerfBuffer perf : perfBuffers) n += perf.consume();
        return n;
    }

    private void batchFlush() {
        for (Flush f : List.copyOf(flushes)) {
            if (f.interval == 0) f.action.run();
        }
    }

    /**
     * Delivers, on this thread and without waiting, the records the buffers hold now and the losses counted so far
     * — for use before or after {@link #start()}, or from an action.
     *
     * @throws IllegalStateException when the stream runs on another thread, or is closed
     */
    public void drain() {
        checkModifiable();
        deliverPending();
    }

    private void deliverPending() {
        if (consumeAll() > 0) batchFlush();
        readLossCounters();
    }

    private void readLossCounters() {
        byte[] key = new byte[4];
        for (LossCounter c : counters) {
            List<byte[]> values = c.map.type() == MapType.PERCPU_ARRAY
                    ? c.map.lookupPerCpu(key).orElse(List.of())
                    : c.map.lookup(key).map(List::of).orElse(List.of());
            if (c.reported.length < values.size()) c.reported = java.util.Arrays.copyOf(c.reported, values.size());
            for (int cpu = 0; cpu < values.size(); cpu++) {
                long total = MemorySegment.ofArray(values.get(cpu)).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                long more = total - c.reported[cpu];
                c.reported[cpu] = total;
                if (more > 0) report(new Loss(c.map.name(), c.map.type() == MapType.PERCPU_ARRAY ? cpu : -1, more));
            }
        }
    }

    private void report(Loss loss) {
        lost += loss.count();
        for (Consumer<Loss> a : List.copyOf(lossActions)) a.accept(loss);
    }

    /** Records lost so far: perf samples the kernel dropped plus what the loss counters counted, as reported. */
    public long lostCount() {
        return lost;
    }

    /**
     * Ends {@link #start()} — at once if it waits, after the action it runs otherwise — and any later start. Safe
     * from any thread, any number of times.
     */
    public void stop() {
        stopped = true;
        synchronized (lock) {
            // the fd is closed with the stream: a number reused by another file must not be written
            if (!freed) LibC.write(wake.value(), one, 8);
        }
    }

    /** Whether {@link #stop()}, {@link #close()} or a signal stopped the stream. */
    public boolean isStopped() {
        return stopped;
    }

    /**
     * Stops the stream, waits for {@link #start()} to return when it runs on another thread, then unmaps the
     * buffers and closes the perf events and the stream's fds; the maps stay open. From an action, the stream is
     * released when {@code start()} returns. Idempotent, and safe from any thread.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closing) return;
            closing = true;
        }
        stop();
        synchronized (lock) {
            if (running == Thread.currentThread()) {
                closeWhenDone = true;
                return;
            }
            boolean interrupted = false;
            while (running != null) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true; // the loop is ending: releasing under it would unmap what it reads
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
        release();
    }

    private void release() {
        RuntimeException failure = null;
        List<AutoCloseable> all = new ArrayList<>(perfBuffers);
        all.addAll(rings);
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                if (failure == null) failure = r;
                else failure.addSuppressed(r);
            }
        }
        synchronized (lock) {
            freed = true;
            epoll.close();
            wake.close();
            arena.close();
            if (hook != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running: it waits for the latch below
                }
            }
        }
        released.countDown();
        if (failure != null) throw failure;
    }

    private void checkOpen() {
        if (closing) throw new IllegalStateException("the event stream is closed");
    }

    /** Readers and actions are changed by the stream's own thread only, or while it does not run. */
    private void checkModifiable() {
        synchronized (lock) {
            checkOpen();
            if (running != null && running != Thread.currentThread()) {
                throw new IllegalStateException("the event stream runs on thread '" + running.getName()
                        + "': change it from an action, or before start() or after it returns");
            }
        }
    }
}
