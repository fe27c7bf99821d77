package io.bpf4j.tools;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.events.EventStream;
import io.bpf4j.core.events.RecordDecoder;
import io.bpf4j.core.link.AutoAttach;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.symbols.HotSpotJvms;
import io.bpf4j.core.symbols.Symbolizer;
import io.bpf4j.output.EventType;
import io.bpf4j.output.Histogram;
import io.bpf4j.output.Json;
import io.bpf4j.output.JsonLinesSink;
import io.bpf4j.output.StackCounts;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.output.TraceInfo;
import io.bpf4j.output.recorder.Recorder;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One run of a tool: its BPF object (from the tools jar), its links, its {@link EventStream} and its sinks. The
 * stream reads the events until a duration, an interval count or a signal ends it; everything the session opens
 * is closed by {@link #close()}, which the JVM's exit waits for on Ctrl-C and SIGTERM ({@link
 * EventStream#stopOnSignal()}).
 *
 * <p>The order of calls: {@link #object(String)}; {@link #set}, {@link #autoload} (before load); {@link #load()};
 * {@link #attach(String)} or {@link #attachAll()}; {@link #onEvents} for each ring or perf buffer;
 * {@link #loop}; then the tool prints its aggregates ({@link #histogram}, {@link #stacks}) and returns.
 * Lost events — ring-buffer reservations that failed (counted by {@code bpf4j_reserve} in the object's
 * {@code bpf4j_lost} map, the stream's {@link EventStream#lossCounter loss counter}) and perf-buffer samples the
 * kernel dropped — are sent to the sinks as the stream reports them, and their total is printed on stderr at close.
 */
public final class ToolSession implements AutoCloseable {
    /** Where the tools' compiled BPF objects are in the jar. */
    static final String OBJECTS = "/io/bpf4j/tools/bpf/";
    // How often watched things (a process, an interface) are looked at.
    private static final long WATCH_MS = 200;

    private final String tool;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Recorder recorder;
    private final boolean json;
    private final List<Link> links = new ArrayList<>();
    private final List<EventType> eventTypes = new ArrayList<>();
    private final EventStream stream = new EventStream().stopOnSignal();
    private ObjectSpec spec;
    private Btf btf;
    private BpfObject object;
    private Symbolizer symbolizer;
    private HotSpotJvms hotSpotJvms;
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
        stream.onLost(loss -> {
            openSinks(); // a loss may come before the first event: the recording starts with it then
            recorder.lost(loss.cpu(), loss.count());
        });
        // what one wake-up printed goes out at once, and a reader that went away ends the tool
        stream.onFlush(() -> {
            if (!flushed()) stream.stop();
        });
        if (!recorder.isEmpty()) stream.onFlush(Recorder.TICK, recorder::tick);
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

    /** Whether program {@code name} is loaded ({@code false}: left out, e.g. a hook this kernel lacks). */
    public ToolSession autoload(String name, boolean load) {
        spec = requireSpec().withAutoload(name, load);
        return this;
    }

    /** Loads the object into the kernel (programs marked not to load are left out). */
    public BpfObject load() {
        object = BpfObject.load(requireSpec());
        if (object.maps().containsKey("bpf4j_lost")) stream.lossCounter(object.map("bpf4j_lost"));
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
        RecordDecoder decoder = type.decoder();
        stream.onRecord(map(map), (cpu, rec) -> {
            if (rec.byteSize() < decoder.size()) {
                err.println(tool + ": skipping a " + rec.byteSize() + "-byte record shorter than struct "
                        + type.name() + " (" + decoder.size() + " bytes)");
                return;
            }
            openSinks();
            TraceEvent e = type.event(decoder.decode(rec), rec, cpu);
            recorder.event(e);
            handler.accept(e);
        });
    }

    /**
     * Calls {@code listener} once, when {@link #loop} starts: by then the tool has attached its programs and
     * opened its event readers (the order of calls above), so an event that happens afterwards is seen.
     */
    public void onAttached(Runnable listener) {
        onAttached = listener;
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
        boolean[] counted = new boolean[1];
        int[] intervals = new int[1];
        Runnable everyInterval = () -> {
            if (onInterval != null) onInterval.run();
            if (!flushed()) {
                stream.stop();
            } else if (count != null && ++intervals[0] >= count) {
                counted[0] = true;
                stream.stop();
            }
        };
        Runnable watching = () -> {
            for (Supplier<String> w : watches) {
                ended = w.get();
                if (ended != null) {
                    stream.stop();
                    return;
                }
            }
        };
        if (interval != null) stream.onFlush(interval, everyInterval);
        if (!watches.isEmpty()) stream.onFlush(Duration.ofMillis(WATCH_MS), watching);
        try {
            if (!flushed()) stream.stop();
            if (duration == null) stream.start();
            else stream.start(duration);
        } finally {
            stream.remove(everyInterval);
            stream.remove(watching);
        }
        flushed();
        // the interval count stops the stream too, but is no signal: the tool has printed its last interval
        return (stream.isStopped() && !counted[0]) || outputClosed || ended != null;
    }

    /** Ends the loop (as a signal does). */
    public void stop() {
        stream.stop();
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

    /**
     * Has the {@link #symbolizer()} look after the HotSpot JVMs whose stacks it names ({@link HotSpotJvms}), its
     * one-line notes on stderr; {@code attach}: have them write their perf maps through the Attach API (false with
     * {@code --no-perfmap}). Closed with the session.
     */
    public void hotSpotJvms(boolean attach) {
        if (hotSpotJvms != null) return;
        hotSpotJvms = new HotSpotJvms(attach, note -> {
            err.println(tool + ": " + note);
            err.flush();
        });
        symbolizer().hotSpotJvms(hotSpotJvms);
    }

    private void openSinks() {
        if (recorder.isOpen() || recorder.isEmpty()) return;
        recorder.open(TraceInfo.now(tool, eventTypes));
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
                // what the sinks were told, after a last read: a program still running as its link went away may
                // count one more, and the summary and the trace must agree
                try {
                    stream.drain();
                } catch (RuntimeException e) {
                    failure = add(failure, e);
                }
                if (stream.lostCount() > 0) {
                    err.println(tool + ": " + stream.lostCount() + " event(s) lost (the buffer was full; the events "
                            + "shown are incomplete)");
                }
                object.close();
            }
            try {
                recorder.close();
            } catch (UncheckedIOException e) {
                failure = add(failure, e);
            }
            if (hotSpotJvms != null) hotSpotJvms.close();
            flushed();
            err.flush();
        } finally {
            // last: a signal's shutdown hook lets the JVM go once the stream is closed
            stream.close();
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
