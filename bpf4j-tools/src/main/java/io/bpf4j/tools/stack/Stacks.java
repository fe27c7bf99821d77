package io.bpf4j.tools.stack;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Codec;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.symbols.Frame;
import io.bpf4j.core.symbols.Symbolizer;
import io.bpf4j.output.Json;
import io.bpf4j.output.StackCounts;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.Background;
import io.bpf4j.tools.ToolSession;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * The stacks a tool's object counts — a stack trace map {@code stackmap} and {@code counts}, a hash from
 * {@code struct stack_key} ({@code cpu_stacks.h}) to a count — read, symbolized and printed as libbpf-tools prints them
 * (frames innermost first, kernel then user, then {@code -  comm (pid)} and the count) or folded for flame graphs
 * ({@code comm;user frames;kernel frames count}, outermost first, kernel frames suffixed {@code _[k]} and JIT frames
 * {@code _[j]} as bcc annotates them, a JVM's interpreted frames {@code _[i]} as async-profiler does). Shared by
 * profile, offcputime and stackcount; memleak shares {@link #dropTracingFrames}. Closing it closes the object it
 * loaded.
 *
 * <p>Java frames: the HotSpot JVMs in the stacks are made to write their perf maps through the Attach API
 * ({@link io.bpf4j.core.symbols.HotSpotJvms}; {@code --no-perfmap} turns it off), and to write them again when
 * frames fall in their code cache outside the map, which the last pass waits for a little.
 */
public final class Stacks implements AutoCloseable {
    /** bpf_get_stackid's -EFAULT: the task has no user stack (a kernel thread); not worth a "[Missed …]" line. */
    public static final int EFAULT = 14;
    /** How often {@link #prefetch} looks for new stacks. */
    private static final Duration PREFETCH_PERIOD = Duration.ofMillis(100);
    /** How often {@link #prefetch} reads a process's mappings again. */
    private static final Duration UPDATE_PERIOD = Duration.ofSeconds(1);
    /**
     * How long the last pass waits, at most, for the perf maps of JVMs whose frames it could not name (asked for
     * then, or being written): a JVM already attached to writes one in 2-20 ms and it is read in 5-30 ms, but on a
     * loaded machine both take longer, and stacks all [unknown_java] (a JVM that compiled its hot code
     * since the last refresh) are worth waiting for. Only a JVM that compiled code since stops the tool's exit.
     */
    private static final Duration LAST_PERF_MAP_WAIT = Duration.ofMillis(500);

    /**
     * Which stacks the tool collects ({@code -U}/{@code -K}) and how it prints them: {@code bcc} for bcc
     * stackcount's text layout (two-space frames, {@code comm [pid]}), else libbpf-tools' profile/offcputime one.
     *
     * @param userOnly   {@code -U}: user stacks only
     * @param kernelOnly {@code -K}: kernel stacks only
     * @param folded     {@code -f}: folded lines for flame graphs
     * @param delimited  {@code -d}: a delimiter between kernel and user stacks
     * @param bcc        bcc stackcount's text layout
     * @param perfMaps   have the JVMs in the user stacks write their perf maps through the Attach API
     *                   ({@code --no-perfmap}: false)
     */
    public record Options(boolean userOnly, boolean kernelOnly, boolean folded, boolean delimited, boolean bcc,
                          boolean perfMaps) {
    }

    /**
     * {@code struct stack_key} of cpu_stacks.h, the key of {@code counts} (named as the C fields).
     *
     * @param pid           the process, 0 when aggregated across processes
     * @param tid           the thread, 0 when aggregated across threads
     * @param kern_stack_id the kernel stack's id in {@code stackmap}; negative: not collected, or the error
     * @param user_stack_id the user stack's id, likewise
     * @param user_ip       when the stack map had no room for the user stack: the frame the task was in, else 0
     * @param comm          the command name
     */
    public record Key(int pid, int tid, int kern_stack_id, int user_stack_id, long user_ip, String comm) {
    }

    /**
     * One symbolized stack.
     *
     * @param comm   the command name, or {@code null} when entries of several processes were merged
     * @param pid    the process (or thread, for offcputime) shown after the command name
     * @param kernel the kernel frames, innermost first; empty when not collected
     * @param user   the user frames, innermost first; empty when not collected or there is none
     * @param missed "[Missed Kernel Stack]" / "[Missed User Stack]" notes for stacks the kernel could not keep
     * @param count  samples, microseconds or calls
     */
    public record Stack(String comm, int pid, List<Frame> kernel, List<Frame> user, List<String> missed, long count) {
    }

    private final ToolSession session;
    private final BpfObject object;
    private final Options options;
    private final TypedMap<Key, Long> counts;
    private volatile Integer target;

    private Stacks(ToolSession session, BpfObject object, Options options, TypedMap<Key, Long> counts) {
        this.session = session;
        this.object = object;
        this.options = options;
        this.counts = counts;
    }

    /**
     * Loads the session's object (its globals already {@link ToolSession#set}) with the stack trace map sized for
     * {@code storage} distinct stacks ({@code --stack-storage-size}) of at most {@code depth} frames
     * ({@code --perf-max-stack-depth}). ToolSession has no way to resize a map's value before its own load, so the
     * object is this one's, closed with it.
     */
    public static Stacks load(ToolSession s, int storage, int depth, Options options) {
        if (storage <= 0) throw new IllegalArgumentException("--stack-storage-size must be > 0, got " + storage);
        if (depth <= 0 || depth > MapSpec.MAX_STACK_DEPTH) {
            throw new IllegalArgumentException("--perf-max-stack-depth must be 1.." + MapSpec.MAX_STACK_DEPTH
                    + " (kernel.perf_event_max_stack), got " + depth);
        }
        Codec<Key> key = Aggregates.keys(s, "counts", Key.class);
        ObjectSpec spec = s.spec();
        ObjectMap m = spec.map("stackmap").orElseThrow();
        MapSpec ms = m.spec().toBuilder().maxEntries(storage).valueSize(depth * Long.BYTES).build();
        ObjectMap sized = new ObjectMap(m.name(), ms, m.kind(), m.pinning(), m.data(), m.variables(),
                m.initialValues(), m.btfKeyTypeId(), m.btfValueTypeId());
        BpfObject obj = BpfObject.load(spec.withMap(sized));
        if (!options.kernelOnly()) s.hotSpotJvms(options.perfMaps());
        return new Stacks(s, obj, options, obj.map("counts").typed(key, Codec.LONG));
    }

    /**
     * The one process the tool traces ({@code -p PID}), or null: {@link #prefetch} reads it first, so that a JVM is
     * asked for its perf map before its first stack comes.
     */
    public Stacks target(Integer pid) {
        this.target = pid;
        return this;
    }

    /** The loaded object, to attach its programs. */
    public BpfObject object() {
        return object;
    }

    /** The entries of {@code counts}, read in batches (a few system calls rather than two an entry). */
    public Map<Key, Long> read() {
        return counts.getAll();
    }

    /** Empties {@code counts} and {@code stackmap}, for the next interval. */
    public void clear() {
        for (BpfMap m : List.of(object.map("counts"), object.map("stackmap"))) m.keys().toList().forEach(m::delete);
    }

    /**
     * Names the stacks {@code counts} holds while the tool traces, on a background thread ({@link Background}): the
     * kernel's symbols are read at once, and each new stack is resolved as {@link #resolve} will at the end, which
     * reads the mappings and symbol tables of its process, so that the last pass finds them read (and still names
     * the frames of processes that have exited since); with {@code self} (no process filter: the tool's own JVM
     * may show), the symbols of the tool's own process are read first. The thread waits, its own events left out
     * of the object's programs (attach them after this); the tool begins it once attached and closes it once its
     * loop ends, before it reads the maps itself.
     */
    public Background prefetch(boolean perProcess, boolean self) {
        Symbolizer sym = session.symbolizer();
        BpfMap stackmap = object.map("stackmap");
        Set<Key> seen = new HashSet<>();
        Map<Integer, Long> updated = new HashMap<>();
        // a process's mappings read again (libraries it loaded since) at most once a second: a perf map that grows
        // all the time (node --perf-basic-prof) is not parsed at every round
        IntConsumer update = pid -> {
            long now = System.nanoTime();
            Long last = updated.get(pid);
            if (last != null && now - last < UPDATE_PERIOD.toNanos()) return;
            updated.put(pid, now);
            sym.update(pid);
        };
        boolean[] first = {true};
        Background names = Background.prepare("bpf4j-stacks", PREFETCH_PERIOD, b -> {
            if (!options.userOnly()) sym.kernelSymbols();
            Integer pid = target;
            if (first[0] && pid != null && !options.kernelOnly()) update.accept(pid);
            if (first[0] && self && !options.kernelOnly()) {
                // the tool's own JVM shows in the stacks (its threads sleep, wake, start threads): its libjvm.so is
                // large, and read at the end it alone would take tens of milliseconds
                sym.preload(ProcessHandle.current().pid());
            }
            first[0] = false;
            Map<Key, Long> entries = b.read(this::read);
            if (entries == null) return;
            entries.keySet().removeIf(k -> !seen.add(k));
            if (entries.isEmpty()) return;
            // an empty stack once stopped: what this round names is only kept in the symbolizer's caches
            resolve(id -> b.running() ? Optional.ofNullable(b.read(() -> stackmap.stackTrace(id).orElse(null)))
                    : Optional.empty(), entries, sym, update, perProcess);
        });
        try {
            return names.quiet(session.spec(), object);
        } catch (RuntimeException e) {
            names.close();
            throw e;
        }
    }

    /**
     * Says on stderr, as {@code tool}, how many {@code what} (e.g. "sample(s)") the kernel could not count because
     * the counts map was full, from the object's {@code bpf4j_lost}; nothing when none.
     */
    public void reportLost(String tool, String what) {
        long lost = Aggregates.sumPerCpu(object.map("bpf4j_lost"), 0);
        if (lost > 0) session.err().println(tool + ": " + lost + " " + what + " not counted: the counts map was full");
    }

    /**
     * Symbolizes {@code entries}, summing those that read the same (when not {@code perProcess}, the process is
     * left out: the same stack in several processes is one). Sorted by count, smallest first, as bcc prints them.
     */
    public List<Stack> resolve(Map<Key, Long> entries, boolean perProcess) {
        Symbolizer sym = session.symbolizer();
        // each process as it is mapped now; symbol files read before (by prefetch) are not read again, and a process
        // gone since keeps the mappings last read
        List<Stack> out = resolve(object.map("stackmap")::stackTrace, entries, sym, sym::update, perProcess);
        // frames in a JVM's code cache its perf map did not name: the map asked for at the first of them (written
        // while this pass went on, or waited for now) may name them
        boolean unnamed = out.stream().anyMatch(st -> st.user().stream()
                .anyMatch(f -> f.kind() == Frame.Kind.JIT && !f.resolved()));
        if (unnamed && sym.settleHotSpotJvms(LAST_PERF_MAP_WAIT)) {
            out = resolve(object.map("stackmap")::stackTrace, entries, sym, sym::update, perProcess);
        }
        return out;
    }

    /** As above, reading stacks with {@code stackmap}; {@code update} brings a process's mappings up to date. */
    private List<Stack> resolve(IntFunction<Optional<long[]>> stackmap, Map<Key, Long> entries, Symbolizer sym,
                                IntConsumer update, boolean perProcess) {
        Options o = options;
        if (!o.userOnly()) sym.kernelSymbols();
        if (!o.kernelOnly()) {
            entries.keySet().stream().filter(k -> k.user_stack_id() >= 0 || k.user_ip() != 0).mapToInt(Key::pid)
                    .distinct()
                    .forEach(update);
        }
        Map<String, Stack> byText = new LinkedHashMap<>();
        for (Map.Entry<Key, Long> e : entries.entrySet()) {
            Key k = e.getKey();
            List<String> missed = new ArrayList<>();
            List<Frame> kernel = List.of(), user = List.of();
            if (!o.userOnly()) {
                Optional<long[]> st = k.kern_stack_id() >= 0 ? stackmap.apply(k.kern_stack_id()) : Optional.empty();
                if (st.isPresent()) kernel = dropTracingFrames(sym.kernel(st.get()));
                else if (k.kern_stack_id() != -EFAULT) missed.add("[Missed Kernel Stack]");
            }
            if (!o.kernelOnly()) {
                Optional<long[]> st = k.user_stack_id() >= 0 ? stackmap.apply(k.user_stack_id()) : Optional.empty();
                if (st.isPresent()) user = sym.user(k.pid(), st.get());
                else if (k.user_stack_id() != -EFAULT) {
                    missed.add("[Missed User Stack]");
                    // the innermost frame, which the program kept: the sample's time is still the right method's
                    if (k.user_ip() != 0) user = sym.user(k.pid(), new long[] {k.user_ip()});
                }
            }
            String comm = perProcess && !k.comm().isEmpty() ? k.comm() : null;
            int pid = k.tid() != 0 ? k.tid() : k.pid();
            Stack s = new Stack(comm, pid, kernel, user, missed, e.getValue());
            String text = (comm == null ? "" : comm + " " + pid) + "\n" + names(kernel) + "\n" + names(user) + "\n"
                    + missed;
            byText.merge(text, s, (a, b) -> new Stack(a.comm(), a.pid(), a.kernel(), a.user(), a.missed(),
                    a.count() + b.count()));
        }
        List<Stack> out = new ArrayList<>(byText.values());
        out.sort(Comparator.comparingLong(Stack::count));
        return out;
    }

    /**
     * Leading frames of the tracing machinery itself (the BPF program, bpf_trace_run*, the tracepoint's iterator
     * and perf glue), so that the first frame shown is the kernel function that hit the event.
     */
    public static List<Frame> dropTracingFrames(List<Frame> frames) {
        int i = 0;
        while (i < frames.size() && isTracing(frames.get(i).symbol())) i++;
        return frames.subList(i, frames.size());
    }

    private static boolean isTracing(String symbol) {
        return symbol != null && (symbol.startsWith("bpf_prog_") || symbol.startsWith("bpf_trace_run")
                || symbol.startsWith("__bpf_trace_") || symbol.startsWith("__traceiter_")
                || symbol.startsWith("perf_trace_") || symbol.startsWith("perf_syscall_")
                || symbol.equals("trace_call_bpf")
                || symbol.startsWith("perf_tp_event") || symbol.startsWith("bpf_get_stackid"));
    }

    private static List<String> names(List<Frame> frames) {
        return frames.stream().map(Stacks::name).toList();
    }

    /** A frame as libbpf-tools prints it: the function name, or "[unknown]" ({@link Frame#name()}). */
    private static String name(Frame f) {
        return f.name();
    }

    /**
     * Prints {@code stacks} ({@code unit}: what the counts are) as text, folded lines or JSON lines, and hands them
     * to the sinks with what their values are ({@code values}, for pprof): each stack's {@code i}th value is its
     * count times {@code perCount[i]} (profile: a sample, and the CPU time it stands for).
     */
    public void print(List<Stack> stacks, String unit, StackCounts.Values values, long... perCount) {
        if (perCount.length != values.types().size()) {
            throw new IllegalArgumentException(perCount.length + " factors for " + values.types().size() + " values");
        }
        ToolSession s = session;
        Options o = options;
        // one write at the end rather than one a line (the session's writer flushes at each line)
        PrintWriter out = new PrintWriter(s.out(), false);
        for (Stack st : stacks) {
            if (s.json()) out.println(Json.write(json(st, unit)));
            else if (o.folded()) out.println(folded(st, o));
            else printText(out, st, o);
        }
        out.flush();
        List<StackCounts.Stack> sc = new ArrayList<>();
        for (Stack st : stacks) {
            List<Frame> frames = new ArrayList<>(st.kernel());
            frames.addAll(st.user());
            List<Long> v = new ArrayList<>(perCount.length);
            for (long f : perCount) v.add(st.count() * f);
            sc.add(new StackCounts.Stack(st.comm(), frames, st.count(), v));
        }
        s.stacks(new StackCounts(unit, sc, values));
        s.out().flush();
    }

    private static void printText(PrintWriter out, Stack st, Options o) {
        String in = o.bcc() ? "  " : "    ";
        for (Frame f : st.kernel()) out.println(in + name(f));
        if (st.missed().contains("[Missed Kernel Stack]")) out.println(in + "[Missed Kernel Stack]");
        if (o.delimited() && !o.userOnly() && !o.kernelOnly()) out.println(in + "--");
        for (Frame f : st.user()) out.println(in + name(f));
        if (st.missed().contains("[Missed User Stack]")) out.println(in + "[Missed User Stack]");
        if (o.bcc()) {
            if (st.comm() != null) out.printf("    %s [%d]%n", st.comm(), st.pid());
            out.printf("    %d%n%n", st.count());
        } else {
            if (st.comm() != null) out.printf("    %-16s %s (%d)%n", "-", st.comm(), st.pid());
            out.printf("        %d%n%n", st.count());
        }
    }

    /**
     * {@code comm;user outermost…innermost;[-;]kernel outermost…innermost count}; spaces in the command name become
     * underscores, as stackcollapse-perf.pl writes them.
     */
    private static String folded(Stack st, Options o) {
        List<String> parts = new ArrayList<>();
        if (st.comm() != null) parts.add(st.comm().replace(' ', '_'));
        if (st.missed().contains("[Missed User Stack]")) parts.add("[Missed User Stack]");
        for (Frame f : st.user().reversed()) {
            parts.add(name(f) + switch (f.kind()) {
                case JIT -> "_[j]";
                case INTERPRETED -> "_[i]";
                default -> "";
            });
        }
        if (o.delimited() && !st.user().isEmpty() && !st.kernel().isEmpty()) parts.add("-");
        if (st.missed().contains("[Missed Kernel Stack]")) parts.add("[Missed Kernel Stack]");
        for (Frame f : st.kernel().reversed()) parts.add(name(f) + "_[k]");
        return String.join(";", parts) + " " + st.count();
    }

    private static Map<String, Object> json(Stack st, String unit) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (st.comm() != null) {
            m.put("comm", st.comm());
            m.put("pid", st.pid());
        }
        m.put("kernel_stack", names(st.kernel()));
        m.put("user_stack", names(st.user()));
        if (!st.missed().isEmpty()) m.put("missed", st.missed());
        m.put(unit, st.count());
        return m;
    }

    /** Closes the object: its programs detach once the links the tool kept are closed. */
    @Override
    public void close() {
        object.close();
    }
}
