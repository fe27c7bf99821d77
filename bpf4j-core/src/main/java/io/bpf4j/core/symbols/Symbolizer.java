package io.bpf4j.core.symbols;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns the stacks BPF programs capture into {@link Frame}s: kernel addresses through {@link KernelSymbols}, user
 * addresses through a {@link ProcessSymbols} per process, cached (a process's mappings are read the first time one
 * of its stacks is resolved, each ELF file once for all processes that map it).
 *
 * <pre>{@code
 * Symbolizer sym = new Symbolizer();
 * long[] kstack = stacks.stackTrace(kernelStackId).orElseThrow();
 * sym.kernel(kstack).forEach(System.out::println);         // do_sys_openat2+0x5c [kernel]
 * sym.user(pid, ustack).forEach(System.out::println);      // bpf4j_spin+0x11 [/tmp/spin]
 * }</pre>
 *
 * Thread-safe: a tool may warm it on a background thread while it traces ({@link #kernelSymbols()},
 * {@link #update(long)} and resolving the stacks seen so far read the symbol tables), so that naming its stacks
 * at the end is quick, and names the frames of processes that have exited since.
 */
public final class Symbolizer {
    private final Map<Long, ProcessSymbols> processes = new ConcurrentHashMap<>();
    private final Map<FileKey, ElfSymbols> elfFiles = new ConcurrentHashMap<>();
    private final Map<Long, CachedPerfMap> perfMaps = new ConcurrentHashMap<>();
    private volatile KernelSymbols kernel;
    private volatile HotSpotJvms hotSpot;
    private final long created = System.nanoTime();

    /** A symbolizer with empty caches. */
    public Symbolizer() {
    }

    /**
     * Has {@code jvms} look after the HotSpot JVMs whose stacks this names (their perf maps written through the
     * Attach API, refreshed when frames fall outside them); the caller closes it. None by default: a library does
     * not attach to processes unasked.
     */
    public Symbolizer hotSpotJvms(HotSpotJvms jvms) {
        // on the attacher thread, once a JVM wrote its map: the map and, the first time, the JVM's symbol tables (a
        // large libjvm.so) are read there rather than by the tool's last pass
        jvms.onWritten(this::preload);
        this.hotSpot = jvms;
        return this;
    }

    /**
     * Waits at most {@code max} for the perf maps asked of JVMs and not written yet ({@link HotSpotJvms#settle});
     * false at once when none are looked after.
     *
     * @return whether a JVM is attached to, whose perf map may have been written and read since its frames were
     *         named: they may resolve anew
     */
    public boolean settleHotSpotJvms(Duration max) {
        HotSpotJvms h = hotSpot;
        return h != null && h.settle(max);
    }

    /**
     * The kernel's symbols, read on first use, and no earlier than this symbolizer was made: so the BPF programs
     * loaded before it (a tool's own, whose frames lead its stacks) have their names.
     */
    public KernelSymbols kernelSymbols() {
        KernelSymbols k = kernel;
        if (k == null) kernel = k = KernelSymbols.load(created);
        return k;
    }

    /** The symbols of process {@code pid}, read on first use and cached until {@link #refresh(long)}. */
    public ProcessSymbols process(long pid) {
        ProcessSymbols p = processes.get(pid);
        if (p != null) return p;
        p = processes.computeIfAbsent(pid, id -> ProcessSymbols.of(id, this::elf, this::perfMap));
        seen(p);
        return p;
    }

    private void seen(ProcessSymbols p) {
        HotSpotJvms h = hotSpot;
        if (h != null) h.seen(p);
    }

    /** Forgets process {@code pid}'s mappings and perf map (after it loaded libraries or JIT-compiled code). */
    public void refresh(long pid) {
        processes.remove(pid);
    }

    /**
     * Brings process {@code pid}'s symbols up to date without starting over: its mappings are read again (and its
     * perf map, when that file changed), the symbols already read are kept when nothing changed, and ELF files
     * already read are not read again. When the process is gone, the symbols last read are kept, so that the
     * stacks it left can still be named.
     */
    public void update(long pid) {
        ProcessSymbols fresh;
        try {
            fresh = ProcessSymbols.of(pid, this::elf, this::perfMap);
        } catch (IllegalArgumentException gone) {
            return;
        }
        seen(processes.merge(pid, fresh, (old, now) -> old.sameAs(now) ? old : now));
    }

    /**
     * Reads process {@code pid}'s symbols ahead of its stacks: its mappings (as {@link #update}) and the symbol
     * tables of every file it maps, which resolving its frames would otherwise read one by one as they come. For a
     * process sure to show in the stacks, e.g. the tool's own.
     */
    public void preload(long pid) {
        update(pid);
        ProcessSymbols p = processes.get(pid);
        if (p == null) return;
        for (ProcessSymbols.Mapping m : p.mappings()) {
            if (m.isFile()) p.file(m.path());
        }
    }

    /** Forgets everything, including the kernel symbols (after modules were loaded). */
    public void clear() {
        processes.clear();
        elfFiles.clear();
        perfMaps.clear();
        kernel = null;
    }

    /** Resolves a kernel address. */
    public Frame kernel(long address) {
        return kernelSymbols().resolve(address);
    }

    /** Resolves a kernel stack, innermost first. */
    public List<Frame> kernel(long[] stack) {
        return kernelSymbols().resolve(stack);
    }

    /** Resolves an address of process {@code pid}; an unresolved frame when the process is gone. */
    public Frame user(long pid, long address) {
        try {
            Frame f = process(pid).resolve(address);
            HotSpotJvms h = hotSpot;
            if (h != null && f.kind() == Frame.Kind.JIT && !f.resolved()) h.unknown(pid, address);
            return f;
        } catch (IllegalArgumentException gone) {
            return Frame.unknown(address, null, Frame.Kind.USER);
        }
    }

    /** Resolves a user stack of process {@code pid}, innermost first. */
    public List<Frame> user(long pid, long[] stack) {
        List<Frame> out = new ArrayList<>(stack.length);
        for (long a : stack) out.add(user(pid, a));
        return out;
    }

    /**
     * Resolves a mixed stack (as {@code bpf_get_stack} without flags on a kernel entry): addresses at or above the
     * kernel's half of the address space are kernel frames, the others user frames of {@code pid}.
     */
    public List<Frame> mixed(long pid, long[] stack) {
        List<Frame> out = new ArrayList<>(stack.length);
        for (long a : stack) out.add(a < 0 ? kernel(a) : user(pid, a));
        return out;
    }

    private ElfSymbols elf(Path path) {
        FileKey key = FileKey.of(path);
        return elfFiles.computeIfAbsent(key, k -> ElfSymbols.read(path));
    }

    /**
     * Process {@code pid}'s perf map ({@link PerfMap#path}), parsed again only when the file changed; {@code null}
     * when it has none.
     */
    private PerfMap perfMap(long pid) {
        Path path = PerfMap.path(pid);
        FileKey key = FileKey.of(path);
        if (key.size() < 0) {
            perfMaps.remove(pid);
            return null;
        }
        CachedPerfMap c = perfMaps.get(pid);
        if (c != null && c.key().equals(key)) return c.map();
        PerfMap m = PerfMap.read(path).orElse(null);
        if (m == null) return null;
        perfMaps.put(pid, new CachedPerfMap(key, m));
        return m;
    }

    private record CachedPerfMap(FileKey key, PerfMap map) {
    }

    /** An ELF file by identity (device and inode when available, plus size and time), so a rebuilt file is re-read. */
    private record FileKey(Object identity, long size, long modified) {
        static FileKey of(Path path) {
            try {
                BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
                Object id = a.fileKey() != null ? a.fileKey() : path.toRealPath().toString();
                return new FileKey(id, a.size(), a.lastModifiedTime().toMillis());
            } catch (IOException e) {
                return new FileKey(path.toString(), -1, -1);
            }
        }
    }
}
