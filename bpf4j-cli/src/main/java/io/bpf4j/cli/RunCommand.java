package io.bpf4j.cli;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.events.EventStream;
import io.bpf4j.core.events.RecordDecoder;
import io.bpf4j.core.link.AutoAttach;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.output.EventType;
import io.bpf4j.output.Json;
import io.bpf4j.output.TraceInfo;
import io.bpf4j.output.recorder.Recorder;
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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

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

    private volatile EventStream stream;
    private volatile boolean stopRequested;
    private boolean outputClosed;

    /**
     * Ends the run as Ctrl-C does: it reads the events already recorded, prints its maps, detaches and returns —
     * for a program that runs the command itself (it has said it is attached when its "program(s) attached" line is
     * on stderr). Safe from any thread, at any time.
     */
    public void stop() {
        stopRequested = true;
        EventStream s = stream;
        if (s != null) s.stop();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ObjectSpec objectSpec = ObjectCommand.withSets(ObjectSpec.read(object), set, spec.commandLine());
        Btf btf = Btf.parse(objectSpec.btf());
        List<Link> links = new ArrayList<>();
        // the stream first, so it closes last: Ctrl-C and SIGTERM stop it, and the JVM waits until it is closed
        try (EventStream events = new EventStream().stopOnSignal();
             Recorder recorder = Recorder.open("bpf4j run", outputs, err);
             BpfObject obj = BpfObject.load(objectSpec);
             AutoCloseable detach = () -> links.reversed().forEach(Link::close)) {
            stream = events;
            // a stop() before the stream existed ends it at once (both fields are volatile: one of the two threads
            // sees the other's write)
            if (stopRequested) events.stop();
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
                recorder.open(TraceInfo.now(object.getFileName().toString(), List.of(type.get())));
            }
            EventPrinter printer = new EventPrinter(out, json, quiet, recorder, type.orElse(null));
            int rings = 0, perfBuffers = 0;
            for (ObjectMap m : objectSpec.maps()) {
                MapType t = m.spec().type();
                if (t != MapType.RINGBUF && t != MapType.PERF_EVENT_ARRAY) continue;
                events.onRecord(obj.map(m.name()), (cpu, rec) -> printer.print(m.name(), decoder, cpu, rec));
                if (t == MapType.RINGBUF) rings++;
                else perfBuffers++;
            }
            events.onLost(loss -> {
                if (recorder.isOpen()) recorder.lost(loss.cpu(), loss.count());
            });
            // out.checkError() flushes, and tells when stdout's reader went away (`| head`): then stop, as tools do
            events.onFlush(() -> {
                if (out.checkError()) {
                    outputClosed = true;
                    events.stop();
                }
            });
            if (!recorder.isEmpty()) events.onFlush(Recorder.TICK, recorder::tick);
            err.println("bpf4j run: " + links.size() + " program(s) attached, " + rings + " ring buffer(s), "
                    + perfBuffers + " perf buffer(s); "
                    + (duration == null ? "Ctrl-C to stop" : "for " + OptionTypes.Seconds.format(duration) + " s"));
            err.flush();
            if (duration == null) events.start();
            else events.start(duration);
            for (Link l : links) l.close();
            links.clear();
            printMaps(obj, objectSpec, btf, out);
            out.flush();
            err.println("bpf4j run: " + printer.count() + " event(s)" + (perfBuffers == 0 ? "" : ", "
                    + events.lostCount() + " lost by perf buffers") + "; detached");
            return outputClosed || out.checkError() ? Tool.EXIT_OUTPUT_CLOSED : 0;
        }
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
                recorder.event(type.event(decoder.get().decode(rec), rec, cpu));
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
