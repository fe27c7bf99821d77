package io.bpf4j.tools;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.MapType;
import io.bpf4j.core.ObjectMap;
import io.bpf4j.core.ObjectProgram;
import io.bpf4j.core.ObjectSpec;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.events.PerfBuffer;
import io.bpf4j.core.events.RecordDecoder;
import io.bpf4j.core.events.RingBufferPoller;
import io.bpf4j.core.link.AutoAttach;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.symbols.Symbolizer;
import io.bpf4j.output.EventType;
import io.bpf4j.output.Histogram;
import io.bpf4j.output.Json;
import io.bpf4j.output.JsonLinesSink;
import io.bpf4j.output.Recorder;
import io.bpf4j.output.StackCounts;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.output.TraceInfo;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One run of a tool: its BPF object (from the tools jar), its links, its event readers and its sinks, and the
 * loop that waits for events until a duration, an interval count or a signal ends it. Everything it opens is
 * closed by {@link #close()}, which the shutdown hook it installs waits for on Ctrl-C and SIGTERM.
 *
 * <p>The order of calls: {@link #object(String)}; {@link #set}, {@link #autoload} (before load); {@link #load()};
 * {@link #attach(String)} or {@link #attachAll()}; {@link #onEvents} for each ring or perf buffer;
 * {@link #loop}; then the tool prints its aggregates ({@link #histogram}, {@link #stacks}) and returns.
 * Lost events — ring-buffer reservations that failed (counted by {@code bpf4j_reserve} in the object's
 * {@code bpf4j_lost} map) and perf-buffer samples the kernel dropped — are reported on stderr at close and sent
 * to the sinks.
 */
public final class ToolSession implements AutoCloseable {
    /** Where the tools' compiled BPF objects are in the jar. */
    static final String OBJECTS = "/io/bpf4j/tools/bpf/";
    // How long one wait for events lasts: a signal ends the loop at the next wake-up, and tools must exit in 0.1 s.
    private static final long POLL_MS = 25;
    // How often watched things (a process, an interface) are looked at.
    private static final long WATCH_MS = 200;

    private final String tool;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Recorder recorder;
    private final boolean json;
    private final List<Link> links = new ArrayList<>();
    private final List<PerfBuffer> perfBuffers = new ArrayList<>();
    private final List<EventType> eventTypes = new ArrayList<>();
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread hook;
    private ObjectSpec spec;
    private Btf btf;
    private BpfObject object;
    private RingBufferPoller poller;
    private Symbolizer symbolizer;
    private long events;
    private long[] lostReported = new long[0];
    private int ringBufferBytes;
    private Runnable onAttached;
    private final List<Supplier<String>> watches = new ArrayList<>();
    private String ended;
    private boolean outputClosed;

    /**
     * A session for {@code tool} printing to {@code out} (results) and {@code err} (notes, progress), recording
     * to {@code recorder} (which it closes), printing JSON lines when {@code json}.
     */
    public ToolSession(String tool, PrintWriter out, PrintWriter err, Recorder recorder, boolean json) {
        this.tool = Objects.requireNonNull(tool);
        this.out = out;
        this.err = err;
        this.recorder = Objects.requireNonNull(recorder);
        this.json = json;
        // Ctrl-C and SIGTERM run shutdown hooks: end the loop, and hold the JVM until everything is detached.
        this.hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bpf4j-" + tool + "-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Whether the tool prints JSON lines ({@code --json}). */
    public boolean json() {
        return json;
    }

    /** Where results go. */
    public PrintWriter out() {
        return out;
    }

    /** Where notes and warnings go. */
    public PrintWriter err() {
        return err;
    }

    /**
     * Sizes the tool's {@code events} ring buffer ({@code --buffer-kb}); applied by {@link #object}.
     *
     * @throws IllegalArgumentException unless {@code bytes} is a power of two and a multiple of the page size, as
     *                                  the kernel requires
     */
    public ToolSession ringBufferBytes(int bytes) {
        if (Integer.bitCount(bytes) != 1 || bytes < 4096) {
            throw new IllegalArgumentException("--buffer-kb: " + bytes / 1024 + " KiB is not a power of two of at "
                    + "least 4 KiB, as a BPF ring buffer must be");
        }
        ringBufferBytes = bytes;
        return this;
    }

    /** Reads the tool object {@code name} ({@code NAME.bpf.o}, compiled from {@code src/main/bpf/NAME.bpf.c}). */
    public ToolSession object(String name) {
        try (InputStream in = ToolSession.class.getResourceAsStream(OBJECTS + name + ".bpf.o")) {
            if (in == null) {
                throw new IllegalStateException("the tools jar has no BPF object '" + name + ".bpf.o': the build "
                        + "compiles it from bpf4j-tools/src/main/bpf/" + name + ".bpf.c (clang-19 needed)");
            }
            spec = ObjectSpec.parse(in.readAllBytes());
            btf = Btf.parse(spec.btf());
            if (ringBufferBytes > 0) {
                spec.map("events").filter(m -> m.spec().type() == MapType.RINGBUF)
                        .ifPresent(m -> spec = spec.withMap(m.withMaxEntries(ringBufferBytes)));
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The object's description (programs, maps, variables), to choose what to load. */
    public ObjectSpec spec() {
        return requireSpec();
    }

    /** The object's own BTF: the types of its events and map values. */
    public Btf btf() {
        requireSpec();
        return btf;
    }

    /** Sets the {@code const volatile} (or other global) integer {@code name} before load. */
    public ToolSession set(String name, long value) {
        spec = requireSpec().withVariable(name, value);
        return this;
    }

    /** Sets a {@code const volatile char name[N]} before load: {@code value}'s bytes, NUL-padded (cut to N-1). */
    public ToolSession setString(String name, String value) {
        int size = requireSpec().maps().stream().flatMap(m -> m.variables().stream())
                .filter(v -> v.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no global variable '" + name + "'")).size();
        byte[] b = new byte[size];
        byte[] s = value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.arraycopy(s, 0, b, 0, Math.min(s.length, size - 1));
        spec = spec.withVariable(name, b);
        return this;
    }

    /** Sizes map {@code name} before load (e.g. {@code --stack-storage-size}). */
    public ToolSession maxEntries(String name, int entries) {
        ObjectMap m = requireSpec().map(name)
                .orElseThrow(() -> new IllegalArgumentException("no map '" + name + "' in the object"));
        spec = spec.withMap(m.withMaxEntries(entries));
        return this;
    }

    /** Whether program {@code name} is loaded ({@code false}: left out, e.g. a hook this kernel lacks). */
    public ToolSession autoload(String name, boolean load) {
        spec = requireSpec().withAutoload(name, load);
        return this;
    }

    /** Loads the object into the kernel (programs marked not to load are left out). */
    public BpfObject load() {
        object = BpfObject.load(requireSpec());
        return object;
    }

    /** The loaded object. */
    public BpfObject loaded() {
        if (object == null) throw new IllegalStateException("load() first");
        return object;
    }

    /** A map of the loaded object. */
    public BpfMap map(String name) {
        return loaded().map(name);
    }

    /** Attaches program {@code name} where its section says (tp_btf, raw_tp, tracepoint, uprobe, usdt). */
    public Link attach(String name) {
        ObjectProgram p = requireSpec().program(name)
                .orElseThrow(() -> new IllegalArgumentException("no program '" + name + "' in the object"));
        Link link = AutoAttach.attach(loaded(), p)
                .orElseThrow(() -> new IllegalStateException("cannot attach '" + name + "': " + AutoAttach.why(p)));
        return keep(link);
    }

    /** Attaches every loaded program where its section says. */
    public List<Link> attachAll() {
        List<Link> attached = new ArrayList<>();
        for (ObjectProgram p : requireSpec().programs()) {
            if (loaded().programs().containsKey(p.name())) attached.add(attach(p.name()));
        }
        return attached;
    }

    /** Keeps {@code link} (attached by other means, e.g. XDP on an interface) to close it with the session. */
    public Link keep(Link link) {
        links.add(link);
        return link;
    }

    /** The event named {@code name} carried by the object's struct {@code struct}. */
    public EventType eventType(String name, String struct) {
        EventType t = EventType.of(name, btf(), struct);
        eventTypes.add(t);
        return t;
    }

    /** Registers an event type made by the tool (e.g. with a duration field). */
    public EventType eventType(EventType type) {
        eventTypes.add(type);
        return type;
    }

    /**
     * Reads the ring buffer or perf event array {@code map}: each record is decoded as {@code type}, sent to the
     * sinks, then given to {@code handler} (which prints it). Records shorter than the struct are skipped with
     * a warning.
     */
    public void onEvents(String map, EventType type, Consumer<TraceEvent> handler) {
        BpfMap m = map(map);
        RecordDecoder decoder = type.decoder();
        if (m.type() == MapType.RINGBUF) {
            if (poller == null) poller = new RingBufferPoller();
            poller.add(m, rec -> deliver(type, decoder, -1, rec, handler));
        } else if (m.type() == MapType.PERF_EVENT_ARRAY) {
            perfBuffers.add(PerfBuffer.open(m, new PerfBuffer.Handler() {
                @Override
                public void onSample(int cpu, MemorySegment data) {
                    deliver(type, decoder, cpu, data, handler);
                }

                @Override
                public void onLost(int cpu, long count) {
                    openSinks();
                    recorder.lost(cpu, count);
                }
            }));
        } else {
            throw new IllegalArgumentException("map '" + map + "' is a " + m.type() + ", not a ring buffer or "
                    + "perf event array");
        }
    }

    private void deliver(EventType type, RecordDecoder decoder, int cpu, MemorySegment rec,
                         Consumer<TraceEvent> handler) {
        if (rec.byteSize() < decoder.size()) {
            err.println(tool + ": skipping a " + rec.byteSize() + "-byte record shorter than struct "
                    + type.name() + " (" + decoder.size() + " bytes)");
            return;
        }
        openSinks();
        var record = decoder.decode(rec);
        long ts = type.timestampField() != null ? record.getLong(type.timestampField()) : System.nanoTime();
        int c = type.cpuField() != null ? (int) record.getLong(type.cpuField()) : cpu;
        TraceEvent e = new TraceEvent(type, ts, c, record, rec);
        events++;
        recorder.event(e);
        handler.accept(e);
    }

    /**
     * Calls {@code listener} once, when {@link #loop} starts: by then the tool has attached its programs and
     * opened its event readers (the order of calls above), so an event that happens afterwards is seen.
     */
    public void onAttached(Runnable listener) {
        onAttached = listener;
    }

    /** Events delivered so far. */
    public long events() {
        return events;
    }

    /**
     * Ends {@link #loop} when what the tool watches is gone — its target process exited, its interface was
     * deleted: {@code check} returns why (e.g. "process 1234 exited"), or null while all is well. It is called
     * from the loop about every {@value #WATCH_MS} ms; after the loop, {@link #ended()} says why it ended.
     */
    public void watch(Supplier<String> check) {
        watches.add(Objects.requireNonNull(check));
    }

    /** Why a {@link #watch} ended the loop, or null when none did. */
    public String ended() {
        return ended;
    }

    /**
     * Whether stdout went away while the tool wrote to it — its reader ended, as {@code head} does in
     * {@code bpf4j opensnoop | head -3}: the JVM ignores SIGPIPE, so the write fails instead. {@link #loop} then
     * returns at once (as a C tool killed by SIGPIPE ends), and the tool exits with {@link Tool#EXIT_OUTPUT_CLOSED}.
     */
    public boolean outputClosed() {
        return outputClosed;
    }

    /** Flushes stdout; false (and {@link #outputClosed()}) when the write failed because its reader went away. */
    private boolean flushed() {
        // PrintWriter keeps write errors to itself: checkError() flushes, then says whether any write failed
        if (out.checkError()) outputClosed = true;
        return !outputClosed;
    }

    /**
     * Waits for events until {@code duration} (null: no limit) has passed, {@code count} intervals (null: no
     * limit) have run, or Ctrl-C/SIGTERM, stdout's reader went away ({@link #outputClosed()}) or what the tool
     * {@link #watch watches} is gone; every {@code interval} (null: never) calls {@code onInterval}.
     *
     * @return {@code true} when a signal ended the loop, or stdout went away, or a watch ended it
     */
    public boolean loop(Duration duration, Duration interval, Integer count, Runnable onInterval) {
        openSinks();
        out.flush(); // the header or "Tracing…" line comes before the news that the tool is attached
        if (onAttached != null) {
            Runnable attached = onAttached;
            onAttached = null;
            attached.run();
        }
        long now = System.nanoTime();
        long deadline = duration == null ? Long.MAX_VALUE : now + duration.toNanos();
        long next = interval == null ? Long.MAX_VALUE : now + interval.toNanos();
        int intervals = 0;
        long nextWatch = now + TimeUnit.MILLISECONDS.toNanos(WATCH_MS);
        while (stop.getCount() > 0 && flushed()) {
            now = System.nanoTime();
            if (now >= deadline) break;
            if (!watches.isEmpty() && now >= nextWatch) {
                nextWatch = now + TimeUnit.MILLISECONDS.toNanos(WATCH_MS);
                if (watchedGone()) break;
            }
            if (now >= next) {
                drain();
                if (onInterval != null) onInterval.run();
                if (!flushed()) break;
                intervals++;
                if (count != null && intervals >= count) break;
                next += interval.toNanos();
                continue;
            }
            long waitMs = Math.max(1, Math.min(POLL_MS, Math.min(deadline, next) / 1_000_000 - now / 1_000_000));
            if (perfBuffers.isEmpty() && poller != null) {
                poller.poll(Duration.ofMillis(waitMs));
            } else if (poller != null) {
                poller.poll(Duration.ofMillis(Math.min(waitMs, 20)));
                for (PerfBuffer pb : perfBuffers) pb.consume();
            } else if (!perfBuffers.isEmpty()) {
                perfBuffers.getFirst().poll(Duration.ofMillis(Math.min(waitMs, 20)));
                for (PerfBuffer pb : perfBuffers) pb.consume();
            } else {
                try {
                    if (stop.await(waitMs, TimeUnit.MILLISECONDS)) break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            if (!flushed()) break;
            recorder.tick();
        }
        drain();
        flushed();
        return stop.getCount() == 0 || outputClosed || ended != null;
    }

    private boolean watchedGone() {
        for (Supplier<String> w : watches) {
            String why = w.get();
            if (why != null) {
                ended = why;
                return true;
            }
        }
        return false;
    }

    /** Reads whatever events are pending. */
    public void drain() {
        if (poller != null) poller.consume();
        for (PerfBuffer pb : perfBuffers) pb.consume();
        reportLost();
    }

    /** Ends the loop (as a signal does). */
    public void stop() {
        stop.countDown();
    }

    /** Events lost so far: failed ring-buffer reservations plus perf-buffer losses. */
    public long lost() {
        long n = 0;
        for (PerfBuffer pb : perfBuffers) n += pb.lostCount();
        return n + ringLost().stream().mapToLong(Long::longValue).sum();
    }

    /** Per-CPU failed reservations from the object's {@code bpf4j_lost} map (empty when it has none). */
    private List<Long> ringLost() {
        if (object == null || !object.maps().containsKey("bpf4j_lost")) return List.of();
        byte[] key = new byte[4];
        return object.map("bpf4j_lost").lookupPerCpu(key).orElse(List.of()).stream()
                .map(v -> MemorySegment.ofArray(v).get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).toList();
    }

    private void reportLost() {
        List<Long> perCpu = ringLost();
        if (lostReported.length < perCpu.size()) lostReported = java.util.Arrays.copyOf(lostReported, perCpu.size());
        // The sinks learn of ring-buffer losses per CPU as the counters grow.
        for (int cpu = 0; cpu < perCpu.size(); cpu++) {
            long n = perCpu.get(cpu) - lostReported[cpu];
            if (n > 0) {
                // a loss may come before the first event: the recording starts with it then
                openSinks();
                recorder.lost(cpu, n);
            }
            lostReported[cpu] = perCpu.get(cpu);
        }
    }

    /** Prints {@code h} (bcc's text, or a JSON line) and sends it to the sinks. */
    public void histogram(Histogram h) {
        openSinks();
        if (json) out.println(Json.write(Map.of("histogram", h.toJson())));
        else out.print(h.text());
        recorder.histogram(h);
    }

    /** Sends {@code stacks} to the sinks (the tool prints them in its own format). */
    public void stacks(StackCounts stacks) {
        openSinks();
        recorder.stacks(stacks);
    }

    /** Prints one JSON line. */
    public void printJson(Map<String, Object> line) {
        out.println(Json.write(line));
    }

    /** Prints event {@code e} as a JSON line: its name, timestamp, CPU and fields. */
    public void printJson(TraceEvent e) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("event", e.type().name());
        m.putAll(JsonLinesSink.fields(e.record()));
        out.println(Json.write(m));
    }

    /** A symbolizer for kernel and user stacks, made on first use. */
    public Symbolizer symbolizer() {
        if (symbolizer == null) symbolizer = new Symbolizer();
        return symbolizer;
    }

    private void openSinks() {
        if (recorder.isOpen() || recorder.isEmpty()) return;
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        Instant now = Instant.now();
        long offset = now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime();
        TraceInfo info = new TraceInfo(tool, eventTypes, host, offset, Runtime.getRuntime().availableProcessors());
        recorder.open(info);
    }

    /**
     * Detaches and closes everything, reports lost events on stderr, closes the sinks, and lets a waiting
     * shutdown hook go on.
     */
    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            for (Link l : links.reversed()) {
                try {
                    l.close();
                } catch (RuntimeException e) {
                    failure = add(failure, e);
                }
            }
            links.clear();
            if (object != null) {
                drain();
                // what the sinks were told, not a fresh read: a program still running as its link went away
                // may count one more, and the summary and the trace must agree
                long lost = java.util.Arrays.stream(lostReported).sum();
                for (PerfBuffer pb : perfBuffers) lost += pb.lostCount();
                if (lost > 0) {
                    err.println(tool + ": " + lost + " event(s) lost (the buffer was full; the events shown are "
                            + "incomplete)");
                }
            }
            for (PerfBuffer pb : perfBuffers) pb.close();
            if (poller != null) poller.close();
            if (object != null) object.close();
            try {
                recorder.close();
            } catch (UncheckedIOException e) {
                failure = add(failure, e);
            }
            flushed();
            err.flush();
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // a signal is ending the JVM: the hook is running and waited for us
            }
        }
        if (failure != null) throw failure;
    }

    private static RuntimeException add(RuntimeException first, RuntimeException next) {
        if (first == null) return next;
        first.addSuppressed(next);
        return first;
    }

    private ObjectSpec requireSpec() {
        if (spec == null) throw new IllegalStateException("object(name) first");
        return spec;
    }
}
