package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.ast.Position;
import io.bpf4j.bpftrace.ast.Script;
import io.bpf4j.bpftrace.ast.SourceException;
import io.bpf4j.bpftrace.check.Analysis;
import io.bpf4j.bpftrace.check.Binaries;
import io.bpf4j.bpftrace.check.CheckedProbe;
import io.bpf4j.bpftrace.check.Checker;
import io.bpf4j.bpftrace.check.MapInfo;
import io.bpf4j.bpftrace.check.ProbeCatalog;
import io.bpf4j.bpftrace.check.ProbeTarget;
import io.bpf4j.bpftrace.check.TraceFsCatalog;
import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.bpftrace.check.UprobeArgs;
import io.bpf4j.bpftrace.codegen.CodeGen;
import io.bpf4j.bpftrace.codegen.EventTable;
import io.bpf4j.bpftrace.format.Printf;
import io.bpf4j.bpftrace.parse.Parser;
import io.bpf4j.bpftrace.runtime.Event;
import io.bpf4j.bpftrace.runtime.MapValues;
import io.bpf4j.bpftrace.runtime.Output;
import io.bpf4j.bpftrace.runtime.StackTrace;
import io.bpf4j.bpftrace.runtime.Strftime;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Program;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.VerifierException;
import io.bpf4j.core.btf.SourceBtf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.kernel.LoadedBtf;
import io.bpf4j.core.asm.Disassembler;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.events.EventStream;
import io.bpf4j.core.link.PerfEvent;
import io.bpf4j.core.link.Tracepoint;
import io.bpf4j.core.link.Uprobe;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.core.symbols.HotSpotJvms;
import io.bpf4j.core.symbols.Symbolizer;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * A bpftrace program compiled to BPF and loaded into the kernel, ready to run.
 *
 * <pre>{@code
 * try (BpfTrace bt = BpfTrace.compile("tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }")) {
 *     Thread runner = Thread.ofPlatform().start(() -> bt.run(System.out));
 *     bt.awaitAttached(Duration.ofSeconds(10));
 *     // … the workload …
 *     bt.stop();              // as Ctrl-C: END runs, the maps are printed
 *     runner.join();
 *     Map<List<Object>, Object> counts = bt.map("@");
 * }
 * }</pre>
 *
 * <p>{@link #compile} parses, checks against the kernel (tracepoint formats), creates the maps and loads one
 * program per attach point; nothing is attached yet. {@link #run} does what bpftrace does: prints "Attaching N
 * probes...", runs BEGIN, attaches the other probes, prints the programs' events until {@code exit()},
 * {@link #stop()} or the end of the {@code -p}/{@code -c} process, runs END and prints every map.
 * BEGIN and END are raw tracepoint programs run once with BPF_PROG_TEST_RUN.
 */
public final class BpfTrace implements AutoCloseable {
    /** Environment variable of bpftrace's runtime tests: when set, announce on stderr that probes are attached. */
    public static final String NOTIFY_ENV = "__BPFTRACE_NOTIFY_PROBES_ATTACHED";
    /** How much of a file cat() prints: BPFTRACE_CAT_BYTES_MAX bytes, 10240 by default as in bpftrace. */
    private static final int CAT_BYTES_MAX = positiveEnv("BPFTRACE_CAT_BYTES_MAX", 10240);
    private static final int MAP_ENTRIES = 4096;
    private static final int RING_BYTES = 1 << 20;
    /** Frames kept per kstack/ustack: the kernel's default perf_event_max_stack, as bpftrace. */
    private static final int STACK_DEPTH = 127;

    private record Loaded(ProbeTarget target, Program program) {
    }

    private final Analysis analysis;
    private final Options options;
    private final String source;
    private final EventTable eventTable = new EventTable();
    private final Map<String, BpfMap> maps = new LinkedHashMap<>();
    private final List<Loaded> programs = new ArrayList<>();
    private final List<AutoCloseable> attachments = new ArrayList<>();
    private final StringBuilder verboseReport = new StringBuilder();
    /** The parsed printf, system() and cat() formats, by format; used on the thread that runs the program. */
    private final Map<String, Printf.Format> formats = new HashMap<>();
    /** How long the last naming pass waits for perf maps asked of JVMs, as the stack tools wait. */
    private static final Duration LAST_PERF_MAP_WAIT = Duration.ofMillis(500);
    /** How often the loop looks whether the process of {@code -p} is still there. */
    private static final Duration TARGET_CHECK = Duration.ofMillis(200);
    private final CountDownLatch attached = new CountDownLatch(1);
    private BpfMap ring;
    private BpfMap joinScratch;
    /** kstack/ustack ids index it; null when the program uses neither. */
    private BpfMap stacks;
    private Symbolizer symbolizer;
    /** With ustack: the HotSpot JVMs whose frames it names, asked for perf maps through the Attach API. */
    private HotSpotJvms jvms;
    /** Per CPU, the printf (and other) records the ring buffer had no room for: bpftrace's "Lost N events". */
    private BpfMap lostCounter;
    private volatile EventStream stream;
    private volatile boolean stopRequested;
    /** After exit() or stop(), as in bpftrace: the records still buffered are dropped, until END runs. */
    private volatile boolean finalizing;
    private volatile Output output;
    /** Held while output is written: records on the event loop, maps at the end or from {@link #printMaps()}. */
    private final Object printing = new Object();
    private Process child;

    private BpfTrace(Analysis analysis, Options options, String source) {
        this.analysis = analysis;
        this.source = source;
        this.options = options;
    }

    /** Compiles and loads {@code source} with {@link Options#defaults()}. */
    public static BpfTrace compile(String source) {
        return compile(source, Options.defaults());
    }

    /**
     * Compiles {@code source}, creates its maps and loads its programs.
     *
     * @throws SourceException when the program is invalid (render it with {@link SourceException#render}); a
     *                         {@link VerifierRejection} when the kernel's verifier refuses a probe's program
     * @throws RuntimeException from bpf4j-core when the kernel refuses a map or a program for another reason
     */
    public static BpfTrace compile(String source, Options options) {
        return compile(source, options, new TraceFsCatalog());
    }

    static BpfTrace compile(String source, Options options, ProbeCatalog catalog) {
        Script script = Parser.parse(source);
        Analysis analysis = Checker.check(script, catalog, options.positionals(), options.unsafe(), options.pid());
        BpfTrace bt = new BpfTrace(analysis, options, source);
        try {
            bt.load();
        } catch (RuntimeException e) {
            bt.close();
            throw e;
        }
        return bt;
    }

    /**
     * Checks {@code source} without the kernel's help beyond {@code catalog}: parse and semantic errors only.
     *
     * @throws SourceException at the first error
     */
    public static Analysis check(String source, ProbeCatalog catalog, List<String> positionals) {
        return Checker.check(Parser.parse(source), catalog, positionals);
    }

    /**
     * The probes matching {@code pattern} ({@code -l}): BEGIN/END, tracepoints as {@code tracepoint:CATEGORY:NAME},
     * software and hardware events, and — for a pattern naming a binary ({@code uprobe:PATH:FUNCTION}) or with
     * {@code pid} — the functions and USDT probes of the binaries. With {@code verbose}, each tracepoint is followed
     * by its arguments, and so is each uprobe whose binary's DWARF describes its function.
     *
     * @param pid a process whose mapped binaries to list (0: none)
     */
    public static List<String> list(String pattern, boolean verbose, int pid) {
        TraceFsCatalog catalog = new TraceFsCatalog();
        String glob = pattern == null || pattern.isEmpty() ? "*" : pattern;
        if (!glob.contains(":") && !glob.equals("*") && !glob.equals("BEGIN") && !glob.equals("END")) {
            glob = "*" + glob + "*"; // bpftrace: a pattern without a provider matches anywhere in the name
        }
        glob = Checker.expandProviderAlias(glob);
        Pattern p = Checker.glob(glob);
        List<String> out = new ArrayList<>();
        if (pid == 0) {
            for (String name : List.of("BEGIN", "END")) {
                if (p.matcher(name).matches()) out.add(name);
            }
            for (PerfEvent.Hardware h : PerfEvent.Hardware.values()) {
                String full = "hardware:" + h.perfName() + ":";
                if (p.matcher(full).matches()) out.add(full);
            }
            for (PerfEvent.Software s : PerfEvent.Software.values()) {
                String full = "software:" + s.perfName() + ":";
                if (p.matcher(full).matches()) out.add(full);
            }
            for (String tp : catalog.tracepoints()) {
                String full = "tracepoint:" + tp;
                if (!p.matcher(full).matches()) continue;
                out.add(full);
                if (verbose) {
                    String[] cn = tp.split(":", 2);
                    catalog.tracepointFormat(cn[0], cn[1]).ifPresent(f ->
                            f.fields().forEach(field -> out.add("    " + field.declaration() + ";")));
                }
            }
        }
        for (String binary : binariesToList(glob, pid)) {
            Path file = Path.of(Binaries.readable(binary, pid));
            if (!Files.isRegularFile(file)) continue;
            List<String> functions;
            try {
                functions = Uprobe.functionNames(file);
            } catch (RuntimeException notElf) {
                continue;
            }
            for (String kind : List.of("uprobe", "uretprobe")) {
                for (String f : functions) {
                    String full = kind + ":" + binary + ":" + f;
                    if (!p.matcher(full).matches()) continue;
                    out.add(full);
                    // bpftrace lists a function's arguments, from its DWARF, under its uprobe
                    if (verbose && kind.equals("uprobe")) {
                        UprobeArgs.of(file, f).ifPresent(args -> args.forEach(a ->
                                out.add("    " + a.cType() + " " + a.name())));
                    }
                }
            }
            try {
                for (Usdt.Probe u : Usdt.probes(file)) {
                    String full = "usdt:" + binary + ":" + u.provider() + ":" + u.name();
                    if (p.matcher(full).matches() && !out.contains(full)) out.add(full);
                }
            } catch (RuntimeException noNotes) {
                // a binary without readable USDT notes lists its functions only
            }
        }
        return out;
    }

    /** The binaries a listing covers: those mapped by {@code pid}, else the files the pattern's path matches. */
    private static List<String> binariesToList(String glob, int pid) {
        String[] parts = glob.split(":", 3);
        if (parts.length < 3) return pid == 0 ? List.of() : Binaries.matching("*", pid);
        Pattern kind = Checker.glob(parts[0]);
        if (!kind.matcher("uprobe").matches() && !kind.matcher("uretprobe").matches()
                && !kind.matcher("usdt").matches()) {
            return List.of();
        }
        return Binaries.matching(parts[1].isEmpty() ? "*" : parts[1], pid);
    }

    private void load() {
        ring = BpfMap.create(MapSpec.ringBuffer("bt_events", RING_BYTES));
        joinScratch = BpfMap.create(MapSpec.builder(MapType.PERCPU_ARRAY).name("bt_join").keySize(4)
                .valueSize(8 + Event.Join.JOIN_ARGS * Event.Join.JOIN_ARG_SIZE).maxEntries(1).build());
        lostCounter = BpfMap.create(MapSpec.builder(MapType.PERCPU_ARRAY).name("bt_lost").keySize(4).valueSize(8)
                .maxEntries(1).build());
        for (MapInfo info : analysis.maps().values()) {
            MapSpec spec = MapSpec.builder(info.kind().perCpu() ? MapType.PERCPU_HASH : MapType.HASH)
                    .name(mapName(info.name())).keySize(info.kernelKeySize()).valueSize(info.valueSize())
                    .maxEntries(MAP_ENTRIES).build();
            maps.put(info.name(), BpfMap.create(spec));
        }
        if (analysis.types().values().stream().anyMatch(Type.Stack.class::isInstance)) {
            stacks = BpfMap.create(MapSpec.stackTrace("stack", STACK_DEPTH, MAP_ENTRIES));
            symbolizer = new Symbolizer();
            if (analysis.types().values().stream().anyMatch(t -> t instanceof Type.Stack s && s.user())) {
                // JIT-compiled Java frames are named from the JVM's perf map, which a JVM writes only when asked
                // (as `jcmd PID Compiler.perfmap` asks): bpftrace shows them as addresses unless one was written
                jvms = new HotSpotJvms(options.perfMaps(), note -> {
                    System.err.println("bt: " + note);
                    System.err.flush();
                });
                symbolizer.hotSpotJvms(jvms);
                // the target of -p is sure to show: a first attach takes longer than the last naming pass waits
                if (options.pid() != 0) symbolizer.process(options.pid());
            }
        }
        long start = System.nanoTime(); // CLOCK_MONOTONIC on Linux, as bpf_ktime_get_ns
        List<ProbeTarget> targets = new ArrayList<>();
        List<CodeGen.Generated> generated = new ArrayList<>();
        for (CheckedProbe probe : analysis.probes()) {
            for (ProbeTarget target : probe.targets()) {
                targets.add(target);
                generated.add(CodeGen.generate(analysis, probe, target, maps, ring, joinScratch, stacks,
                        lostCounter, eventTable, start));
            }
        }
        SourceBtf btf = sourceBtf(targets, generated);
        LoadedBtf loadedBtf = null;
        try {
            loadedBtf = LoadedBtf.load(btf.raw());
        } catch (BpfException noBtf) {
            // a kernel without BTF for programs: the positions still name the statement a rejection is about
        }
        try {
            for (int i = 0; i < targets.size(); i++) {
                ProbeTarget target = targets.get(i);
                Instructions insns = generated.get(i).instructions();
                ProgramSpec spec = ProgramSpec.of(programName(target), programType(target), insns);
                if (loadedBtf != null) {
                    spec = spec.withBtf(loadedBtf.fd()).withFuncInfo(List.of(new ProgramSpec.FuncInfo(0,
                            btf.functionTypeIds().get(i)))).withLineInfo(btf.lineInfo().get(i));
                }
                Program program = load(spec, generated.get(i), target);
                programs.add(new Loaded(target, program));
                if (options.verbose()) {
                    verboseReport.append("; ").append(target.name()).append('\n')
                            .append(Disassembler.beforeLoad().disassemble(insns))
                            .append(program.verifierLog().strip()).append("\n\n");
                }
            }
        } finally {
            if (loadedBtf != null) loadedBtf.close(); // each program holds its own reference
        }
    }

    /**
     * One BTF for all the programs: a function each, and the script's line and column of each run of their
     * instructions, so that the verifier's log quotes the script.
     */
    private SourceBtf sourceBtf(List<ProbeTarget> targets, List<CodeGen.Generated> generated) {
        String[] lines = source.split("\n", -1);
        List<SourceBtf.Function> functions = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            List<SourceBtf.Line> sourceLines = new ArrayList<>();
            generated.get(i).positions().forEach((slot, p) -> sourceLines.add(new SourceBtf.Line(slot, p.line(),
                    p.column(), p.line() >= 1 && p.line() <= lines.length ? lines[p.line() - 1] : "")));
            functions.add(new SourceBtf.Function(programName(targets.get(i)), sourceLines));
        }
        return SourceBtf.of(options.sourceName(), functions);
    }

    /**
     * Loads {@code spec}; turns a rejection into a {@link VerifierRejection} at the statement or expression the
     * verifier stopped at.
     */
    private Program load(ProgramSpec spec, CodeGen.Generated generated, ProbeTarget target) {
        try {
            try {
                return Program.load(spec, options.verbose() ? 4 : 0);
            } catch (VerifierException statisticsOnly) {
                // -v asked for the statistics only (log level 4): the instructions say where it stopped
                if (!options.verbose()) throw statisticsOnly;
                return Program.load(spec, 1);
            }
        } catch (VerifierException e) {
            Position at = generated.positionOf(e.failingInstruction().orElse(0));
            String reason = e.reason().isEmpty() ? e.getMessage().lines().findFirst().orElse("") : e.reason();
            throw new VerifierRejection(at, target.name(), reason, e.log(), e);
        }
    }

    /** Map names as bpftrace gives them: {@code AT_name}, at most 15 characters. */
    private static String mapName(String name) {
        String n = "AT_" + name.substring(1).replaceAll("[^A-Za-z0-9_]", "_");
        return n.length() > 15 ? n.substring(0, 15) : n;
    }

    private static String programName(ProbeTarget target) {
        String n = target.name().replaceAll("[^A-Za-z0-9_]", "_");
        return n.length() > 15 ? n.substring(0, 15) : n;
    }

    private static ProgramType programType(ProbeTarget target) {
        return switch (target) {
            case ProbeTarget.Begin b -> ProgramType.RAW_TRACEPOINT;
            case ProbeTarget.End e -> ProgramType.RAW_TRACEPOINT;
            case ProbeTarget.Tracepoint t -> ProgramType.TRACEPOINT;
            case ProbeTarget.Interval i -> ProgramType.PERF_EVENT;
            case ProbeTarget.Profile p -> ProgramType.PERF_EVENT;
            case ProbeTarget.Software s -> ProgramType.PERF_EVENT;
            case ProbeTarget.Uprobe u -> ProgramType.KPROBE;
            case ProbeTarget.Usdt u -> ProgramType.KPROBE;
        };
    }

    /** The programs' instructions and the verifier's statistics ({@link Options#verbose()}), else empty. */
    public String verboseReport() {
        return verboseReport.toString();
    }

    /** How many probes are attached when running: every attach point with wildcards expanded, BEGIN and END too. */
    public int probeCount() {
        return programs.size();
    }

    /**
     * Runs the program as bpftrace does, writing to {@code out}, until {@code exit()}, {@link #stop()} or the end
     * of the {@code -p}/{@code -c} process. Returns after END has run and the maps are printed.
     *
     * @throws RuntimeException from bpf4j-core when an attachment fails
     */
    public void run(PrintStream out) {
        run(new PrintWriter(out, true));
    }

    /** As {@link #run(PrintStream)}, writing to {@code out}. */
    public void run(PrintWriter out) {
        output = new Output(out, options.json());
        try (EventStream events = new EventStream()) {
            stream = events;
            events.onRecord(ring, (cpu, record) -> {
                synchronized (printing) {
                    onRecord(record);
                }
            });
            events.lossCounter(lostCounter);
            // one write per batch of records, not per printf: what one wake-up found is printed together
            events.onFlush(output::flush);
            if (!options.quiet()) output.attached(probeCount());
            runSpecial(ProbeTarget.Begin.class);
            events.drain();
            if (!stopRequested) {
                attach();
                if (System.getenv(NOTIFY_ENV) != null) {
                    System.err.println(NOTIFY_ENV);
                    System.err.flush();
                }
                startCommand();
                attached.countDown();
                if (!stopRequested) events.start();
            }
            attached.countDown();
            detach();
            events.drain();
            finalizing = false;
            runSpecial(ProbeTarget.End.class);
            events.drain();
            long lost = events.lostCount();
            if (lost > 0) output.lost(lost);
        } finally {
            stream = null;
            detach();
        }
        if (jvms != null && symbolizer.settleHotSpotJvms(Duration.ZERO)) {
            // attached to a JVM (-p's, or one a printed ustack showed): its frames the perf map does not name yet
            // ask for the map as they are named, and the printing below finds it if the JVM writes it in time
            for (MapInfo info : analysis.maps().values()) map(info.name());
            symbolizer.settleHotSpotJvms(LAST_PERF_MAP_WAIT);
        }
        synchronized (printing) {
            output.exitSeparator();
            for (MapInfo info : analysis.maps().values()) output.map(info, map(info.name()));
            out.flush();
        }
    }

    /**
     * Prints every map as it is now, as bpftrace does on SIGUSR1; tracing goes on. Safe from any thread while
     * {@link #run} runs (the records printed meanwhile come before or after the maps, not among them); does nothing
     * before it started.
     */
    public void printMaps() {
        synchronized (printing) {
            if (output == null) return;
            for (MapInfo info : analysis.maps().values()) output.map(info, map(info.name()));
            output.flush();
        }
    }

    /**
     * Waits until every probe is attached (or the run ended before attaching, after an {@code exit()} in BEGIN).
     *
     * @return whether that happened within {@code timeout}
     */
    public boolean awaitAttached(Duration timeout) throws InterruptedException {
        return attached.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Ends {@link #run} as Ctrl-C ends bpftrace: END runs and the maps are printed. Safe from any thread. */
    public void stop() {
        finalizing = true;
        end();
    }

    /**
     * Ends tracing when the {@code -p}/{@code -c} process exited: unlike {@link #stop()}, the records already
     * sent are still printed (they are about the process's last moments).
     */
    private void end() {
        stopRequested = true;
        EventStream s = stream;
        if (s != null) s.stop();
    }

    /**
     * The elements of map {@code name} ({@code @} included; {@code @} alone for the anonymous map) as Java values,
     * in bpftrace's print order; see {@link MapValues} for the types. A map without keys has one element whose key
     * is the empty list.
     *
     * @throws IllegalArgumentException when the program has no such map
     */
    public Map<List<Object>, Object> map(String name) {
        BpfMap m = maps.get(name);
        if (m == null) throw new IllegalArgumentException("the program has no map " + name + "; it has "
                + String.join(", ", maps.keySet()));
        MapInfo info = analysis.maps().get(name);
        Map<List<Object>, Object> values = MapValues.read(m, info);
        if (stacks != null) {
            boolean stackValue = info.kind() == io.bpf4j.bpftrace.check.MapKind.VALUE
                    && info.value() instanceof Type.Stack;
            if (stackValue || info.keys().stream().anyMatch(Type.Stack.class::isInstance)) {
                Map<List<Object>, Object> named = new LinkedHashMap<>();
                values.forEach((k, v) -> named.put(nameStacks(info.keys(), k),
                        stackValue ? nameStacks(List.of(info.value()), List.of(v)).getFirst() : v));
                values = named;
            }
        }
        return Collections.unmodifiableMap(values);
    }

    /** {@code values} with the kstack/ustack ids among them (by {@code types}) replaced by their named frames. */
    private List<Object> nameStacks(List<Type> types, List<Object> values) {
        if (stacks == null) return values;
        List<Object> out = new ArrayList<>(values.size());
        for (int i = 0; i < values.size(); i++) {
            Object v = values.get(i);
            if (types.get(i) instanceof Type.Stack s && v instanceof Long idAndPid) {
                // a failed bpf_get_stackid (no stack in this context: -EFAULT) prints as an empty stack
                long[] frames = stacks.stackTrace((int) (long) idAndPid).orElse(new long[0]);
                long pid = idAndPid >>> 32;
                v = StackTrace.of(s.user() ? symbolizer.user(pid, frames) : symbolizer.kernel(frames));
            }
            out.add(v);
        }
        return out;
    }

    private void runSpecial(Class<? extends ProbeTarget> kind) {
        for (Loaded l : programs) {
            if (kind.isInstance(l.target())) l.program().testRun(TestRun.withContext(new byte[8]));
        }
    }

    private void attach() {
        // uprobes and perf software events run their programs newest first: the blocks of one probe attached in
        // reverse run in source order, as bpftrace's do; distinct probes keep their order (the first attached is
        // the first to fire in a process that hits them all in a loop, as bpftrace's)
        List<Loaded> order = new ArrayList<>();
        for (Loaded l : programs) if (!lifo(l.target())) order.add(l);
        Map<String, List<Loaded>> sameProbe = new LinkedHashMap<>();
        for (Loaded l : programs) {
            if (lifo(l.target())) sameProbe.computeIfAbsent(l.target().name(), k -> new ArrayList<>()).add(l);
        }
        for (List<Loaded> blocks : sameProbe.values()) order.addAll(blocks.reversed());
        for (Loaded l : order) {
            switch (l.target()) {
                case ProbeTarget.Tracepoint t -> attachments.add(Tracepoint.attach(l.program(),
                        t.format().category(), t.format().name()));
                case ProbeTarget.Interval i -> attachments.add(PerfEvent.attach(l.program(),
                        PerfEvent.Spec.software(PerfEvent.Software.CPU_CLOCK).period(i.periodNs())
                                .cpus(List.of(0))));
                case ProbeTarget.Profile p -> {
                    PerfEvent.Spec spec = PerfEvent.Spec.software(PerfEvent.Software.CPU_CLOCK);
                    attachments.add(PerfEvent.attach(l.program(), p.hz() ? spec.frequency(p.rate())
                            : spec.period(p.rate())));
                }
                case ProbeTarget.Software s -> attachments.add(PerfEvent.attach(l.program(),
                        PerfEvent.Spec.software(software(s.event())).period(s.count())));
                case ProbeTarget.Uprobe u -> attachments.add(Uprobe.attach(l.program(), u.binary(), u.symbol(),
                        u.ret(), options.pid() == 0 ? -1 : options.pid()));
                case ProbeTarget.Usdt u -> attachments.add(Uprobe.attach(l.program(), u.binary(),
                        u.site().fileOffset(), false, options.pid() == 0 ? -1 : options.pid(),
                        u.site().semaphoreOffset(), 0));
                case ProbeTarget.Begin b -> {
                }
                case ProbeTarget.End e -> {
                }
            }
        }
        if (options.pid() != 0) {
            // looked at from the loop rather than through ProcessHandle.onExit, whose completion runs in the common
            // fork-join pool: a caller running this in that pool (one thread on a 2-CPU machine) would never see it
            ProcessHandle.of(options.pid()).filter(ProcessHandle::isAlive).ifPresentOrElse(
                    p -> stream.onFlush(TARGET_CHECK, () -> {
                        if (!p.isAlive()) end();
                    }), this::end);
        }
    }

    private static boolean lifo(ProbeTarget t) {
        return t instanceof ProbeTarget.Uprobe || t instanceof ProbeTarget.Usdt || t instanceof ProbeTarget.Software;
    }

    private static PerfEvent.Software software(String perfName) {
        for (PerfEvent.Software s : PerfEvent.Software.values()) {
            if (s.perfName().equals(perfName)) return s;
        }
        throw new IllegalArgumentException("unknown software event " + perfName);
    }

    private void startCommand() {
        if (options.command().isEmpty()) return;
        try {
            child = new ProcessBuilder(options.command()).inheritIO().start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", options.command()) + ": "
                    + e.getMessage(), e);
        }
        // a thread of its own waits: Process.onExit() completes on the common pool, whose only worker (2 CPUs)
        // may be the one running this method
        Process started = child;
        Thread.ofPlatform().daemon().name("bt -c " + started.pid()).start(() -> {
            try {
                started.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            end();
        });
    }

    private void detach() {
        for (int i = attachments.size() - 1; i >= 0; i--) {
            try {
                attachments.get(i).close();
            } catch (Exception e) {
                // detaching is best effort: the kernel drops what is left when the fds close
            }
        }
        attachments.clear();
    }

    private void onRecord(MemorySegment record) {
        if (finalizing) return;
        long id = record.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        switch (eventTable.get(id)) {
            case Event.Printf p -> output.printf(format(p.format(), decode(p.args(), record)));
            case Event.PrintMap p -> output.map(analysis.maps().get(p.map()), top(map(p.map()), p.top()), p.divisor());
            case Event.PrintValue p -> output.value(decode(List.of(p.type()), record).getFirst());
            case Event.Join j -> {
                List<String> parts = new ArrayList<>();
                for (int i = 0; i < Event.Join.JOIN_ARGS; i++) {
                    Object s = MapValues.decodeValue(new Type.Str(Event.Join.JOIN_ARG_SIZE), record.asSlice(
                            8 + (long) i * Event.Join.JOIN_ARG_SIZE, Event.Join.JOIN_ARG_SIZE).toArray(ValueLayout.JAVA_BYTE));
                    if (s.toString().isEmpty()) break;
                    parts.add(s.toString());
                }
                output.join(String.join(j.delimiter(), parts));
            }
            case Event.Time t -> output.time(Strftime.format(t.format(), java.time.ZonedDateTime.now()));
            case Event.System x -> output.system(runCommand(format(x.format(), decode(x.args(), record))));
            case Event.Cat c -> output.cat(catFile(format(c.format(), decode(c.args(), record)), CAT_BYTES_MAX));
            case Event.ClearMap c -> {
                BpfMap m = maps.get(c.map());
                for (byte[] key : m.keys().toList()) m.delete(key);
            }
            case Event.ZeroMap z -> zero(z.map());
            case Event.Exit x -> stop();
        }
    }

    /** The last {@code top} elements in print order (the largest), or all of them when {@code top} is 0. */
    private static Map<List<Object>, Object> top(Map<List<Object>, Object> values, long top) {
        if (top <= 0 || top >= values.size()) return values;
        Map<List<Object>, Object> out = new LinkedHashMap<>();
        long skip = values.size() - top;
        for (Map.Entry<List<Object>, Object> e : values.entrySet()) {
            if (skip-- > 0) continue;
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    /** system(): the command's output, as bpftrace passes it through. */
    private static String runCommand(String command) {
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.INHERIT).start();
            String text = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            p.waitFor();
            return text;
        } catch (IOException e) {
            return "ERROR: cannot run '" + command + "': " + e.getMessage() + "\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The positive number environment variable {@code name} holds, else {@code otherwise}. */
    private static int positiveEnv(String name, int otherwise) {
        String v = System.getenv(name);
        if (v == null || !v.matches("\\d{1,9}") || Integer.parseInt(v) == 0) return otherwise;
        return Integer.parseInt(v);
    }

    /** cat(): the first {@code max} bytes of {@code file}, or bpftrace's error line when it cannot be read. */
    static String catFile(String file, int max) {
        try (var in = Files.newInputStream(Path.of(file))) {
            return new String(in.readNBytes(max), StandardCharsets.UTF_8);
        } catch (java.nio.file.NoSuchFileException e) {
            return "ERROR: failed to open file '" + file + "': No such file or directory\n";
        } catch (IOException | UncheckedIOException e) {
            return "ERROR: failed to open file '" + file + "': " + e.getMessage() + "\n";
        }
    }

    private void zero(String name) {
        BpfMap m = maps.get(name);
        MapInfo info = analysis.maps().get(name);
        byte[] zero = new byte[info.valueSize()];
        for (byte[] key : m.keys().toList()) {
            if (info.kind().perCpu()) {
                int cpus = m.lookupPerCpu(key).map(List::size).orElse(0);
                m.updatePerCpu(key, Collections.nCopies(cpus, zero), BpfMap.EXIST);
            } else {
                m.update(key, zero, BpfMap.EXIST);
            }
        }
    }

    /** printf's text: each of the program's formats is parsed at its first record only. */
    private String format(String format, List<Object> values) {
        return formats.computeIfAbsent(format, Printf::compile).apply(values);
    }

    private List<Object> decode(List<Type> types, MemorySegment record) {
        List<Object> values = new ArrayList<>(types.size());
        long pos = 8;
        for (Type t : types) {
            // integers, the most common argument, straight from the record: no copy per value under a flood
            values.add(t instanceof Type.Int ? record.get(ValueLayout.JAVA_LONG_UNALIGNED, pos)
                    : MapValues.decodeValue(t, record.asSlice(pos, t.size()).toArray(ValueLayout.JAVA_BYTE)));
            pos += t.size();
        }
        return nameStacks(types, values);
    }

    /** Detaches, unloads the programs and frees the maps; ends a {@code -c} command still running. */
    @Override
    public void close() {
        detach();
        if (child != null && child.isAlive()) child.destroy();
        for (Loaded l : programs) l.program().close();
        programs.clear();
        for (BpfMap m : maps.values()) m.close();
        maps.clear();
        if (ring != null) ring.close();
        if (joinScratch != null) joinScratch.close();
        if (stacks != null) stacks.close();
        if (jvms != null) jvms.close();
        if (lostCounter != null) lostCounter.close();
    }

    /** For messages: the program's size. */
    @Override
    public String toString() {
        return "BpfTrace[" + programs.size() + " programs, " + maps.size() + " maps]";
    }
}
