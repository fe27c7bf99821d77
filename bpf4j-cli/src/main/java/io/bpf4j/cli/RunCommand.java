package io.bpf4j.cli;

import io.bpf4j.output.EventType;
import io.bpf4j.output.Json;
import io.bpf4j.output.Recorder;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.output.TraceInfo;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.MapType;
import io.bpf4j.core.ObjectMap;
import io.bpf4j.core.ObjectProgram;
import io.bpf4j.core.ObjectSpec;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.events.PerfBuffer;
import io.bpf4j.core.events.RecordDecoder;
import io.bpf4j.core.events.RingBuffer;
import io.bpf4j.core.events.RingBufferPoller;
import io.bpf4j.core.link.AutoAttach;
import io.bpf4j.core.link.Link;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Tool;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code bpf4j run OBJECT}: the generic runner. Loads a BPF object, sets its {@code const volatile} globals,
 * attaches every program its section names a hook for, prints every ring and perf buffer's events decoded with the
 * object's BTF, and at exit (duration, Ctrl-C, SIGTERM) prints its other maps — as bpftrace prints its maps —
 * then detaches everything.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Load a BPF object, attach its programs, stream its events decoded with BTF, print its "
                + "maps at exit.")
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OBJECT", description = "A BPF object file (clang -target bpf -g).")
    Path object;

    @Option(names = "--set", paramLabel = "NAME=VALUE", description = "Set a global (const volatile) before load.")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", converter = OptionTypes.Seconds.class,
            description = "Stop after this many seconds (default: until Ctrl-C).")
    Duration duration;

    @Option(names = "--json", description = "Print events and maps as JSON lines.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print no events: only the counts and the maps at exit.")
    boolean quiet;

    @Option(names = "--output", paramLabel = "KIND:PATH", split = ",", converter = OptionTypes.Output.class,
            description = "Also record the events to KIND:PATH, several separated by commas: "
                    + "ctf:DIR, perfetto:FILE.json, jfr:FILE.jfr, json:FILE.")
    List<String> outputs = new ArrayList<>();

    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    /**
     * Ends the run as Ctrl-C does: it reads the events already recorded, prints its maps, detaches and returns —
     * for a program that runs the command itself (it has said it is attached when its "program(s) attached" line is
     * on stderr). Safe from any thread, at any time.
     */
    public void stop() {
        stop.countDown();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectSpec objectSpec = ObjectCommand.withSets(ObjectSpec.read(object), set, spec.commandLine());
        Btf btf = Btf.parse(objectSpec.btf());
        // Ctrl-C and SIGTERM run shutdown hooks: ask the loop to stop and wait until everything is detached.
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "bpf4j-run-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        List<Link> links = new ArrayList<>();
        List<PerfBuffer> perfBuffers = new ArrayList<>();
        long events = 0;
        try (Recorder recorder = Recorder.open("bpf4j run", outputs, err);
             BpfObject obj = BpfObject.load(objectSpec); RingBufferPoller poller = new RingBufferPoller()) {
            for (ObjectProgram p : objectSpec.programs()) {
                if (!obj.programs().containsKey(p.name())) continue;
                Optional<Link> link = AutoAttach.attach(obj, p);
                if (link.isPresent()) links.add(link.get());
                else err.println("bpf4j run: not attaching '" + p.name() + "': " + AutoAttach.why(p));
            }
            Optional<EventType> type = eventType(btf);
            Optional<RecordDecoder> decoder = type.map(EventType::decoder);
            if (!recorder.isEmpty()) {
                if (type.isEmpty()) {
                    throw new IllegalArgumentException("--output needs the type of the events, and " + object
                            + " does not say it: declare a global pointer to the event struct, as libbpf-tools do "
                            + "(const struct event *unused_event;)");
                }
                Instant now = Instant.now();
                recorder.open(new TraceInfo(object.getFileName().toString(), List.of(type.get()), hostname(),
                        now.getEpochSecond() * 1_000_000_000L + now.getNano() - System.nanoTime(),
                        Runtime.getRuntime().availableProcessors()));
            }
            EventPrinter printer = new EventPrinter(out, json, quiet, recorder, type.orElse(null));
            List<RingBuffer> rings = new ArrayList<>();
            for (ObjectMap m : objectSpec.maps()) {
                if (m.spec().type() != MapType.RINGBUF) continue;
                rings.add(poller.add(obj.map(m.name()), rec -> printer.print(m.name(), decoder, -1, rec)));
            }
            for (ObjectMap m : objectSpec.maps()) {
                if (m.spec().type() != MapType.PERF_EVENT_ARRAY) continue;
                perfBuffers.add(PerfBuffer.open(obj.map(m.name()), new PerfBuffer.Handler() {
                    @Override
                    public void onSample(int cpu, MemorySegment data) {
                        printer.print(m.name(), decoder, cpu, data);
                    }

                    @Override
                    public void onLost(int cpu, long count) {
                        if (recorder.isOpen()) recorder.lost(cpu, count);
                    }
                }));
            }
            err.println("bpf4j run: " + links.size() + " program(s) attached, " + rings.size()
                    + " ring buffer(s), " + perfBuffers.size() + " perf buffer(s); "
                    + (duration == null ? "Ctrl-C to stop" : "for " + seconds(duration) + " s"));
            err.flush();
            long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
            // Ring buffers share one epoll; perf buffers are drained between its waits (a short wait when there
            // are any, so their events are not held back).
            long wait = perfBuffers.isEmpty() ? 100 : 20;
            // out.checkError() flushes, and tells when stdout's reader went away (`| head`): then stop, as tools do
            boolean outputClosed = false;
            while (stop.getCount() > 0 && System.nanoTime() < deadline && !(outputClosed = out.checkError())) {
                poller.poll(Duration.ofMillis(Math.max(1, Math.min(wait, (deadline - System.nanoTime()) / 1_000_000))));
                for (PerfBuffer pb : perfBuffers) pb.consume();
                recorder.tick();
            }
            poller.consume();
            long lost = 0;
            for (PerfBuffer pb : perfBuffers) {
                pb.consume();
                lost += pb.lostCount();
            }
            events = printer.count();
            for (Link l : links) l.close();
            links.clear();
            printMaps(obj, objectSpec, btf, out);
            out.flush();
            err.println("bpf4j run: " + events + " event(s)" + (perfBuffers.isEmpty() ? "" : ", " + lost
                    + " lost by perf buffers") + "; detached");
            return outputClosed || out.checkError() ? Tool.EXIT_OUTPUT_CLOSED : 0;
        } finally {
            for (Link l : links) l.close();
            for (PerfBuffer pb : perfBuffers) pb.close();
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is exiting because of a signal: the hook is running and waits for us
            }
        }
    }

    /** Seconds as given: "5", "0.5". */
    private static String seconds(Duration d) {
        return io.bpf4j.tools.OptionTypes.Seconds.format(d);
    }

    /**
     * The struct the ring buffers carry. Ring buffers have no value type, so this takes the libbpf-tools idiom:
     * a global pointer to the event struct ({@code const struct event *unused;}) — or the only struct that is
     * neither a map definition nor a program context.
     */
    static Optional<EventType> eventType(Btf btf) {
        for (BtfType t : btf.types()) {
            if (t instanceof BtfType.Var v && btf.resolveType(v.type()) instanceof BtfType.Ptr p
                    && btf.resolveType(p.type()) instanceof BtfType.Struct s) {
                EventType type = EventType.of(s.name().isEmpty() ? "event" : s.name(), btf, s.name());
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    private static String hostname() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    private void printMaps(BpfObject obj, ObjectSpec objectSpec, Btf btf, PrintWriter out) {
        for (ObjectMap m : objectSpec.maps()) {
            if (m.kind() != ObjectMap.Kind.BTF_DEFINED && m.kind() != ObjectMap.Kind.LEGACY) continue;
            MapType type = m.spec().type();
            if (!type.canIterate() || !type.canLookup() || type.hasFdValues()) continue;
            BpfMap map = obj.map(m.name());
            Map<String, Object> entries = new LinkedHashMap<>();
            map.entries().forEach(e -> entries.put(String.valueOf(value(btf, m.btfKeyTypeId(), e.getKey())),
                    value(btf, m.btfValueTypeId(), e.getValue())));
            if (json) {
                Map<String, Object> line = new LinkedHashMap<>(); // "map" first: readers match on it
                line.put("map", m.name());
                line.put("entries", entries);
                out.println(Json.write(line));
            } else {
                out.println();
                if (entries.isEmpty()) out.println("@" + m.name() + ": (empty)");
                entries.forEach((k, v) -> out.println("@" + m.name() + "[" + k + "]: " + v));
            }
        }
    }

    /** A key or value decoded with its BTF type when the object has one, else as a number or hex bytes. */
    private static Object value(Btf btf, int typeId, byte[] bytes) {
        if (typeId > 0) return RecordDecoder.decodeValue(btf, typeId, MemorySegment.ofArray(bytes));
        MemorySegment s = MemorySegment.ofArray(bytes);
        return switch (bytes.length) {
            case 4 -> Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            case 8 -> s.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
            default -> HexFormat.of().formatHex(bytes);
        };
    }

    /** Prints events as an aligned table (header once) or JSON lines. */
    static final class EventPrinter {
        private final PrintWriter out;
        private final boolean json;
        private final boolean quiet;
        private final Recorder recorder;
        private final EventType type;
        private long count;
        private boolean headerDone;

        EventPrinter(PrintWriter out, boolean json, boolean quiet, Recorder recorder, EventType type) {
            this.out = out;
            this.json = json;
            this.quiet = quiet;
            this.recorder = recorder;
            this.type = type;
        }

        void print(String ring, Optional<RecordDecoder> decoder, int cpu, MemorySegment rec) {
            count++;
            if (recorder.isOpen() && decoder.isPresent() && rec.byteSize() >= decoder.get().size()) {
                BtfRecord r = decoder.get().decode(rec);
                long ts = type.timestampField() != null ? r.getLong(type.timestampField()) : System.nanoTime();
                int c = type.cpuField() != null ? (int) r.getLong(type.cpuField()) : cpu;
                recorder.event(new TraceEvent(type, ts, c, r, rec));
            }
            if (quiet) return;
            if (decoder.isEmpty() || rec.byteSize() < decoder.get().size()) {
                String hex = HexFormat.of().formatHex(rec.toArray(ValueLayout.JAVA_BYTE));
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("ring", ring);
                line.put("data", hex);
                out.println(json ? Json.write(line) : ring + ": " + hex);
                return;
            }
            BtfRecord r = decoder.get().decode(rec);
            if (json) {
                Map<String, Object> m = new LinkedHashMap<>(r.asMap());
                m.replaceAll((k, v) -> v instanceof BtfRecord nested ? nested.asMap() : v);
                out.println(Json.write(m));
                return;
            }
            if (!headerDone) {
                out.println(row(r.fieldNames()));
                headerDone = true;
            }
            List<String> cells = new ArrayList<>();
            for (String f : r.fieldNames()) cells.add(String.valueOf(r.get(f)));
            out.println(row(cells));
        }

        /** Columns 16 wide (wider values push the rest right, as bcc's tools do). */
        private static String row(List<String> cells) {
            StringBuilder b = new StringBuilder();
            for (String c : cells) b.append(String.format("%-16s ", c));
            return b.toString().stripTrailing();
        }

        long count() {
            return count;
        }
    }
}
