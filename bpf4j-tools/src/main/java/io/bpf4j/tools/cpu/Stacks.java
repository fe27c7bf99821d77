package io.bpf4j.tools.cpu;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.MapSpec;
import io.bpf4j.core.ObjectMap;
import io.bpf4j.core.ObjectSpec;
import io.bpf4j.core.symbols.Frame;
import io.bpf4j.core.symbols.Symbolizer;
import io.bpf4j.output.Json;
import io.bpf4j.output.StackCounts;
import io.bpf4j.tools.Background;
import io.bpf4j.tools.ToolSession;

import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
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
 * What profile, offcputime and stackcount share: their objects' {@code stackmap} (a stack trace map) and
 * {@code counts} (a hash from {@code struct stack_key} in {@code cpu_stacks.h} to a count), read, symbolized and
 * printed as libbpf-tools prints them (frames innermost first, kernel then user, then {@code -  comm (pid)} and
 * the count) or folded for flame graphs ({@code comm;user frames;kernel frames count}, outermost first, kernel
 * frames suffixed {@code _[k]} and JIT frames {@code _[j]} as bcc annotates them).
 */
public final class Stacks {
    /** bpf_get_stackid's -EFAULT: the task has no user stack (a kernel thread); not worth a "[Missed …]" line. */
    private static final int EFAULT = 14;
    private static final int KEY_SIZE = 32;
    /** How often {@link #prefetch} looks for new stacks. */
    private static final Duration PREFETCH_PERIOD = Duration.ofMillis(100);
    /** How often {@link #prefetch} reads a process's mappings again. */
    private static final Duration UPDATE_PERIOD = Duration.ofSeconds(1);

    private Stacks() {
    }

    /**
     * Which stacks the tool collects ({@code -U}/{@code -K}) and how it prints them: {@code bcc} for bcc
     * stackcount's text layout (two-space frames, {@code comm [pid]}), else libbpf-tools' profile/offcputime one.
     */
    record Options(boolean userOnly, boolean kernelOnly, boolean folded, boolean delimited, boolean bcc) {
    }

    /** One entry of {@code counts}, as the kernel keyed it. */
    record Key(int pid, int tid, int kernelStackId, int userStackId, String comm) {
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
    record Stack(String comm, int pid, List<Frame> kernel, List<Frame> user, List<String> missed, long count) {
    }

    /**
     * Loads the session's object (its globals already {@link ToolSession#set}) with the stack trace map sized for
     * {@code storage} distinct stacks ({@code --stack-storage-size}) of at most {@code depth} frames
     * ({@code --perf-max-stack-depth}). The tool owns the returned object: ToolSession has no way to resize a map
     * before its own load.
     */
    static BpfObject load(ToolSession s, int storage, int depth) {
        if (storage <= 0) throw new IllegalArgumentException("--stack-storage-size must be > 0, got " + storage);
        if (depth <= 0 || depth > MapSpec.MAX_STACK_DEPTH) {
            throw new IllegalArgumentException("--perf-max-stack-depth must be 1.." + MapSpec.MAX_STACK_DEPTH
                    + " (kernel.perf_event_max_stack), got " + depth);
        }
        ObjectSpec spec = s.spec();
        ObjectMap m = spec.map("stackmap").orElseThrow();
        MapSpec ms = m.spec().toBuilder().maxEntries(storage).valueSize(depth * Long.BYTES).build();
        ObjectMap sized = new ObjectMap(m.name(), ms, m.kind(), m.pinning(), m.data(), m.variables(),
                m.initialValues(), m.btfKeyTypeId(), m.btfValueTypeId());
        return BpfObject.load(spec.withMap(sized));
    }

    /** The raw entries of {@code counts}. */
    static Map<Key, Long> read(BpfObject obj) {
        return read(obj.map("counts"));
    }

    /** The raw entries of {@code counts}, read in batches (a few system calls rather than two an entry). */
    private static Map<Key, Long> read(BpfMap counts) {
        Map<Key, Long> out = new LinkedHashMap<>();
        counts.lookupBatch().forEach(e -> {
            MemorySegment k = MemorySegment.ofArray(e.getKey());
            if (k.byteSize() < KEY_SIZE) return;
            String comm = cString(e.getKey(), 16, 16);
            Key key = new Key(k.get(ValueLayout.JAVA_INT_UNALIGNED, 0), k.get(ValueLayout.JAVA_INT_UNALIGNED, 4),
                    k.get(ValueLayout.JAVA_INT_UNALIGNED, 8), k.get(ValueLayout.JAVA_INT_UNALIGNED, 12), comm);
            out.merge(key, MemorySegment.ofArray(e.getValue()).get(ValueLayout.JAVA_LONG_UNALIGNED, 0), Long::sum);
        });
        return out;
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
    static Background prefetch(ToolSession s, BpfObject obj, Options o, boolean perProcess, boolean self) {
        Symbolizer sym = s.symbolizer();
        BpfMap counts = obj.map("counts");
        BpfMap stackmap = obj.map("stackmap");
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
            if (!o.userOnly()) sym.kernelSymbols();
            if (first[0] && self && !o.kernelOnly()) {
                // the tool's own JVM shows in the stacks (its threads sleep, wake, start threads): its libjvm.so is
                // large, and read at the end it alone would take tens of milliseconds
                sym.preload(ProcessHandle.current().pid());
            }
            first[0] = false;
            Map<Key, Long> entries = b.read(() -> read(counts));
            if (entries == null) return;
            entries.keySet().removeIf(k -> !seen.add(k));
            if (entries.isEmpty()) return;
            // an empty stack once stopped: what this round names is only kept in the symbolizer's caches
            resolve(id -> b.running() ? Optional.ofNullable(b.read(() -> stackmap.stackTrace(id).orElse(null)))
                    : Optional.empty(), entries, sym, update, o, perProcess);
        });
        try {
            return names.quiet(s.spec(), obj);
        } catch (RuntimeException e) {
            names.close();
            throw e;
        }
    }

    /** Counts the kernel could not store (the counts map was full), from the object's {@code bpf4j_lost}. */
    static long lost(BpfObject obj) {
        return obj.map("bpf4j_lost").lookupPerCpu(new byte[4]).orElse(List.of()).stream()
                .mapToLong(v -> MemorySegment.ofArray(v).get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).sum();
    }

    /**
     * Symbolizes {@code entries}, summing those that read the same (when not {@code perProcess}, the process is
     * left out: the same stack in several processes is one). Sorted by count, smallest first, as bcc prints them.
     */
    static List<Stack> resolve(BpfObject obj, Map<Key, Long> entries, Symbolizer sym, Options o, boolean perProcess) {
        // each process as it is mapped now; symbol files read before (by prefetch) are not read again, and a process
        // gone since keeps the mappings last read
        return resolve(obj.map("stackmap")::stackTrace, entries, sym, sym::update, o, perProcess);
    }

    /** As above, reading stacks with {@code stackmap}; {@code update} brings a process's mappings up to date. */
    private static List<Stack> resolve(IntFunction<Optional<long[]>> stackmap, Map<Key, Long> entries,
                                       Symbolizer sym, IntConsumer update, Options o, boolean perProcess) {
        if (!o.userOnly()) sym.kernelSymbols();
        if (!o.kernelOnly()) {
            entries.keySet().stream().filter(k -> k.userStackId() >= 0).mapToInt(Key::pid).distinct()
                    .forEach(update);
        }
        Map<String, Stack> byText = new LinkedHashMap<>();
        for (Map.Entry<Key, Long> e : entries.entrySet()) {
            Key k = e.getKey();
            List<String> missed = new ArrayList<>();
            List<Frame> kernel = List.of(), user = List.of();
            if (!o.userOnly()) {
                Optional<long[]> st = k.kernelStackId() >= 0 ? stackmap.apply(k.kernelStackId())
                        : Optional.empty();
                if (st.isPresent()) kernel = dropTracingFrames(sym.kernel(st.get()));
                else if (k.kernelStackId() != -EFAULT) missed.add("[Missed Kernel Stack]");
            }
            if (!o.kernelOnly()) {
                Optional<long[]> st = k.userStackId() >= 0 ? stackmap.apply(k.userStackId()) : Optional.empty();
                if (st.isPresent()) user = sym.user(k.pid(), st.get());
                else if (k.userStackId() != -EFAULT) missed.add("[Missed User Stack]");
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
     * and perf glue), so that the first frame shown is the kernel function that hit the event. Also used by memleak.
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

    /** A frame as libbpf-tools prints it: the function name, or "[unknown]". */
    static String name(Frame f) {
        return f.symbol() != null ? f.symbol() : "[unknown]";
    }

    /** Prints {@code stacks} as text, folded lines or JSON lines, and hands them to the sinks. */
    static void print(ToolSession s, List<Stack> stacks, Options o, String unit) {
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
            sc.add(new StackCounts.Stack(st.comm(), frames, st.count()));
        }
        s.stacks(new StackCounts(unit, sc));
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
    static String folded(Stack st, Options o) {
        List<String> parts = new ArrayList<>();
        if (st.comm() != null) parts.add(st.comm().replace(' ', '_'));
        if (st.missed().contains("[Missed User Stack]")) parts.add("[Missed User Stack]");
        for (Frame f : st.user().reversed()) parts.add(name(f) + (f.kind() == Frame.Kind.JIT ? "_[j]" : ""));
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

    private static String cString(byte[] b, int off, int max) {
        int n = 0;
        while (n < max && off + n < b.length && b[off + n] != 0) n++;
        return new String(b, off, n, StandardCharsets.UTF_8);
    }
}
