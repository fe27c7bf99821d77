package io.bpf4j.tools.mem;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Codec;
import io.bpf4j.core.Program;
import io.bpf4j.core.TypedMap;
import io.bpf4j.core.link.Uprobe;
import io.bpf4j.core.symbols.Frame;
import io.bpf4j.core.symbols.Symbolizer;
import io.bpf4j.output.StackCounts;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.Background;
import io.bpf4j.tools.CommonOptions;
import io.bpf4j.tools.MappedFiles;
import io.bpf4j.tools.OptionTypes;
import io.bpf4j.tools.Targets;
import io.bpf4j.tools.Tool;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;
import io.bpf4j.tools.stack.Stacks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * {@code memleak}: allocations not freed yet, summed by the stack that made them, every interval — bcc's and
 * libbpf-tools' memleak, with their flags and output ({@code [HH:MM:SS] Top N stacks with outstanding
 * allocations:}, then {@code N bytes in M allocations from stack} and the frames, the largest last).
 *
 * <p>With {@code -p PID}, user allocations: uprobes on the process's libc (or {@code -O OBJECT}) — malloc, calloc,
 * realloc, free, posix_memalign, aligned_alloc/memalign, valloc, pvalloc, mmap, munmap — with uretprobes taking
 * the address and the user stack (which starts in the allocator's caller). Without {@code -p}, the kernel's
 * allocations: {@code tp_btf/kmalloc}, {@code kmem_cache_alloc}, {@code mm_page_alloc} and their frees, with kernel
 * stacks (sizes as allocated: the slab slot, the pages). Only allocations made while the tool runs are seen, so
 * everything allocated before it started and freed after looks like nothing, and everything allocated since and
 * still in use looks like a leak: {@code -o} leaves out the young ones. As in bcc, an allocation libc serves with
 * mmap (large blocks) is recorded by its mmap, at the mapping's address; and in kernel mode the pages under a slab or
 * a large kmalloc are counted as well as the objects in them.
 */
@Command(name = "memleak", mixinStandardHelpOptions = true,
        description = "Trace outstanding memory allocations that weren't freed, by stack.")
public final class Memleak extends Tool {
    /** An allocator function, its entry program and, for those that return the address, its return program. */
    private record Hook(String symbol, String entry, String exit) {
    }

    private static final List<Hook> USER_HOOKS = List.of(
            new Hook("malloc", "memleak_malloc_enter", "memleak_alloc_exit"),
            new Hook("calloc", "memleak_calloc_enter", "memleak_alloc_exit"),
            new Hook("realloc", "memleak_realloc_enter", "memleak_alloc_exit"),
            new Hook("free", "memleak_free_enter", null),
            new Hook("posix_memalign", "memleak_posix_memalign_enter", "memleak_posix_memalign_exit"),
            new Hook("aligned_alloc", "memleak_aligned_alloc_enter", "memleak_alloc_exit"),
            new Hook("memalign", "memleak_aligned_alloc_enter", "memleak_alloc_exit"),
            new Hook("valloc", "memleak_valloc_enter", "memleak_alloc_exit"),
            new Hook("pvalloc", "memleak_valloc_enter", "memleak_alloc_exit"),
            new Hook("mmap", "memleak_mmap_enter", "memleak_alloc_exit"),
            new Hook("munmap", "memleak_munmap_enter", null));
    /** Without them there is nothing to report: their absence is an error, the others' is not. */
    private static final Set<String> REQUIRED = Set.of("malloc", "free");
    private static final List<String> KERNEL_PROGRAMS = List.of("memleak_kmalloc", "memleak_cache_alloc",
            "memleak_kfree", "memleak_cache_free", "memleak_page_alloc", "memleak_page_free");

    @Option(names = {"-p", "--pid"}, paramLabel = "PID", converter = OptionTypes.Pid.class,
            description = "Process ID to trace. If not specified, trace kernel allocations.")
    Integer pid;

    @Option(names = {"-a", "--show-allocs"},
            description = "Show allocation addresses and sizes as well as call stacks.")
    boolean showAllocs;

    @Option(names = {"-o", "--older"}, paramLabel = "AGE", converter = OptionTypes.Millis.class,
            description = "Prune allocations younger than this age in milliseconds.")
    long olderMs;

    @Option(names = {"-z", "--min-size"}, paramLabel = "MIN_SIZE", converter = OptionTypes.Bytes.class,
            description = "Capture only allocations "
            + "larger than or equal to this size.")
    Long minSize;

    @Option(names = {"-Z", "--max-size"}, paramLabel = "MAX_SIZE", converter = OptionTypes.PositiveBytes.class,
            description = "Capture only allocations "
            + "smaller than or equal to this size.")
    Long maxSize;

    @Option(names = {"-T", "--top-stacks"}, paramLabel = "TOP_STACKS", defaultValue = "10",
            converter = OptionTypes.Count.class,
            description = "Display only this many top allocating stacks (default ${DEFAULT-VALUE}).")
    int top;

    @Option(names = {"-O", "--obj"}, paramLabel = "OBJECT", description = "Attach to allocator functions in this "
            + "object (with -p; default: the libc the process maps).")
    String obj;

    @Option(names = "--no-perfmap", description = "Do not attach to the process, if a JVM, to have it write "
            + "/tmp/perf-PID.map (its Java frames are then [unknown_java]).")
    boolean noPerfMap;

    @Parameters(index = "0", arity = "0..1", paramLabel = "interval", converter = OptionTypes.Interval.class,
            defaultValue = "5",
            description = "Interval in seconds to print outstanding allocations (default ${DEFAULT-VALUE}).")
    int interval;

    @Parameters(index = "1", arity = "0..1", paramLabel = "count", converter = OptionTypes.Count.class,
            description = "Number of times to print the report before exiting.")
    Integer count;

    /** {@code struct alloc_info} of memleak.bpf.c, the value of {@code allocs} (named as the C fields). */
    record AllocInfo(long size, long ts, int stack_id) {
    }

    /** One outstanding allocation. */
    private record Alloc(long address, long size, long ts, int stackId) {
    }

    /** The outstanding allocations of one stack. */
    private record Group(int stackId, long bytes, List<Alloc> allocs, List<Frame> frames) {
    }

    private List<Group> last = List.of();
    private long untrackedReported;

    @Override
    protected int run(ToolSession s) {
        if (obj != null && pid == null) throw new UsageError("-O/--obj needs -p PID: without it, "
                + "memleak traces the kernel's allocators");
        if (minSize != null && maxSize != null && minSize > maxSize) {
            throw new UsageError("-z MIN_SIZE (" + minSize + ") is above -Z MAX_SIZE (" + maxSize + ")");
        }
        s.object("memleak");
        var info = Aggregates.values(s, "allocs", AllocInfo.class);
        if (pid != null) s.set("targ_pid", pid);
        if (minSize != null) s.set("min_size", minSize);
        if (maxSize != null) s.set("max_size", maxSize);
        // one mode's programs only: the kernel tracepoints would otherwise fill allocs with kernel objects
        for (String p : KERNEL_PROGRAMS) s.autoload(p, pid == null);
        for (Hook h : USER_HOOKS) {
            s.autoload(h.entry(), pid != null);
            if (h.exit() != null) s.autoload(h.exit(), pid != null);
        }
        s.load();
        if (pid != null) s.hotSpotJvms(!noPerfMap);
        TypedMap<Long, AllocInfo> allocs = s.map("allocs").typed(Codec.LONG, info);
        boolean signalled;
        // stacks named while tracing: a report (the last one after Ctrl-C too) only has the newest ones left
        try (Background names = prefetch(s, allocs)) {
            PrintWriter note = s.json() ? s.err() : s.out();
            if (pid != null) {
                Path lib = obj != null ? Uprobe.resolve(obj) : libc(pid);
                attachUser(s, lib);
                s.watch(Targets.process(pid));
                note.printf("Attaching to pid %d, Ctrl+C to quit.%n", pid);
            } else {
                for (String p : KERNEL_PROGRAMS) s.attach(p);
                note.println("Attaching to kernel allocators, Ctrl+C to quit.");
            }
            note.flush();
            names.begin();
            signalled = s.loop(null, Duration.ofSeconds(interval), count, () -> print(s, allocs));
        }
        if (signalled) print(s, allocs);
        sendToSinks(s);
        // its last report shows what it had not freed when it ended
        if (s.ended() != null) s.err().println("memleak: " + s.ended() + "; stopped");
        return 0;
    }

    /**
     * Reads the symbols in the background while tracing ({@link Background}): the kernel's (kernel mode, where
     * naming a stack is then a lookup), or the process's mappings and the symbol tables its new stacks in
     * stack_traces need (user mode). The first round also reads allocs as a report does, printing nothing, so that
     * the report after Ctrl-C runs compiled code. The thread waits, its own kernel allocations left out (attach
     * the programs after this), until begun.
     */
    private Background prefetch(ToolSession s, TypedMap<Long, AllocInfo> allocs) {
        Symbolizer sym = s.symbolizer();
        BpfMap stacks = s.map("stack_traces");
        TypedMap<Integer, byte[]> stackIds = stacks.typed(Codec.INT, Codec.bytes(stacks.valueSize()));
        Set<Integer> seen = new HashSet<>();
        long[] updated = {System.nanoTime()};
        boolean[] first = {true};
        Background names = Background.prepare("bpf4j-memleak", Duration.ofMillis(100), b -> {
            if (first[0]) {
                first[0] = false;
                if (pid == null) sym.kernelSymbols();
                else sym.update(pid);
                b.read(() -> outstanding(allocs));
            }
            if (pid == null) return;
            List<Integer> ids = b.read(() -> stackIds.keys().toList());
            if (ids == null) return;
            for (int id : ids) {
                if (!b.running()) return;
                if (!seen.add(id)) continue;
                long[] st = b.read(() -> stacks.stackTrace(id).orElse(null));
                if (st == null) continue;
                // the mappings read again (libraries loaded since), at most once a second
                if (System.nanoTime() - updated[0] > 1_000_000_000L) {
                    updated[0] = System.nanoTime();
                    sym.update(pid);
                }
                sym.user(pid, st);
            }
        });
        try {
            return names.quiet(s.spec(), s.loaded());
        } catch (RuntimeException e) {
            names.close();
            throw e;
        }
    }

    /** Uprobes on the allocator functions {@code lib} has; functions at one address (aliases) are probed once. */
    private void attachUser(ToolSession s, Path lib) {
        Set<Long> done = new HashSet<>();
        for (Hook h : USER_HOOKS) {
            long offset;
            try {
                offset = Uprobe.offset(lib, h.symbol());
            } catch (IllegalArgumentException missing) {
                if (REQUIRED.contains(h.symbol())) {
                    throw new IllegalStateException("memleak: " + lib + " has no " + h.symbol() + "(): "
                            + missing.getMessage() + ". If the process uses another allocator, give its object "
                            + "with -O", missing);
                }
                continue;
            }
            if (!done.add(offset)) continue;
            Program entry = s.loaded().program(h.entry());
            s.keep(Uprobe.attach(entry, lib, offset, false, pid));
            if (h.exit() != null) s.keep(Uprobe.attach(s.loaded().program(h.exit()), lib, offset, true, pid));
        }
    }

    /** The libc process {@code pid} maps ({@link MappedFiles#find}). */
    static Path libc(int pid) {
        Predicate<String> libc = base -> base.startsWith("libc.so") || base.startsWith("libc-") && base.endsWith(".so");
        return MappedFiles.find(pid, libc).orElseThrow(() -> new IllegalStateException("memleak: process " + pid
                + " maps no libc (statically linked?): give the object with its allocator (malloc and free) with -O"));
    }

    /** Reads allocs, groups it by stack and prints the top stacks. */
    private void print(ToolSession s, TypedMap<Long, AllocInfo> allocs) {
        List<Group> groups = outstanding(allocs);
        // it may have mapped libraries since the last report; once it is gone, the last mappings read are kept
        if (pid != null) s.symbolizer().update(pid);
        BpfMap stacks = s.map("stack_traces");
        List<Group> shown = new ArrayList<>();
        for (Group g : groups.subList(0, Math.min(top, groups.size()))) {
            shown.add(new Group(g.stackId(), g.bytes(), g.allocs(), frames(s, stacks, g.stackId())));
        }
        last = shown.reversed(); // as bcc: the largest last
        String time = CommonOptions.time();
        if (s.json()) {
            for (Group g : last) s.printJson(json(time, g));
        } else {
            // one write at the end rather than one a line (the session's writer flushes at each line)
            PrintWriter out = new PrintWriter(s.out(), false);
            out.printf("[%s] Top %d stacks with outstanding allocations:%n", time, top);
            for (Group g : last) {
                if (showAllocs) {
                    for (Alloc a : g.allocs()) {
                        out.printf("\taddr = %x size = %d%n", a.address(), a.size());
                    }
                }
                out.printf("\t%d bytes in %d allocations from stack%n", g.bytes(), g.allocs().size());
                for (Frame f : g.frames()) out.println("\t\t" + f);
                if (g.stackId() < 0) out.println("\t\t" + missed(g.stackId()));
            }
            out.flush();
        }
        reportUntracked(s);
    }

    /** The outstanding allocations in allocs (those older than {@code -o}), by stack, the most bytes first. */
    private List<Group> outstanding(TypedMap<Long, AllocInfo> allocs) {
        long now = System.nanoTime();
        Map<Integer, List<Alloc>> byStack = new LinkedHashMap<>();
        // a batch lookup, bucket by bucket: a key-by-key walk restarts whenever the key it stands on is freed, which
        // in kernel mode is all the time
        allocs.getAll().forEach((address, info) -> {
            Alloc a = new Alloc(address, info.size(), info.ts(), info.stack_id());
            if (olderMs > 0 && now - a.ts() < olderMs * 1_000_000) return;
            byStack.computeIfAbsent(a.stackId(), id -> new ArrayList<>()).add(a);
        });
        List<Group> groups = new ArrayList<>();
        byStack.forEach((id, list) -> groups.add(new Group(id, list.stream().mapToLong(Alloc::size).sum(),
                list, List.of())));
        groups.sort(Comparator.comparingLong(Group::bytes).reversed());
        return groups;
    }

    private List<Frame> frames(ToolSession s, BpfMap stacks, int stackId) {
        Optional<long[]> st = stackId >= 0 ? stacks.stackTrace(stackId) : Optional.empty();
        if (st.isEmpty()) return List.of();
        return pid != null ? s.symbolizer().user(pid, st.get()) : Stacks.dropTracingFrames(s.symbolizer()
                .kernel(st.get()));
    }

    private String missed(int stackId) {
        String what = pid != null ? "[Missed User Stack]" : "[Missed Kernel Stack]";
        return stackId == -Stacks.EFAULT ? what : what + " (error " + -stackId + ")";
    }

    private Map<String, Object> json(String time, Group g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", time);
        m.put("bytes", g.bytes());
        m.put("allocations", g.allocs().size());
        List<String> frames = new ArrayList<>(g.frames().stream().map(Frame::toString).toList());
        if (g.stackId() < 0) frames.add(missed(g.stackId()));
        m.put("stack", frames);
        if (showAllocs) {
            List<Map<String, Object>> allocs = new ArrayList<>();
            for (Alloc a : g.allocs()) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("addr", "0x" + Long.toHexString(a.address()));
                one.put("size", a.size());
                allocs.add(one);
            }
            m.put("allocs", allocs);
        }
        return m;
    }

    /** Says when allocations went untracked since the last report because allocs was full. */
    private void reportUntracked(ToolSession s) {
        long n = Aggregates.sumPerCpu(s.map("untracked"), 0);
        if (n > untrackedReported) {
            s.err().printf("memleak: %d allocation(s) not tracked: the allocs map (%d entries) is full; the "
                    + "outstanding allocations shown are incomplete (-z/-Z or -p narrow what is tracked)%n",
                    n - untrackedReported, s.map("allocs").maxEntries());
            untrackedReported = n;
        }
    }

    /**
     * The last report's stacks, in bytes, to --output (folded, flame graph; pprof also gets their allocations, named
     * as Go's heap profiles name what is not freed yet): one snapshot, not a sum of them.
     */
    private void sendToSinks(ToolSession s) {
        List<StackCounts.Stack> st = new ArrayList<>();
        for (Group g : last) {
            long allocations = g.allocs().size();
            st.add(new StackCounts.Stack(null, g.frames(), g.bytes(), List.of(allocations, g.bytes())));
        }
        s.stacks(new StackCounts("bytes", st, StackCounts.Values.of(new StackCounts.ValueType("inuse_objects",
                "count"), new StackCounts.ValueType("inuse_space", "bytes"))));
    }
}
