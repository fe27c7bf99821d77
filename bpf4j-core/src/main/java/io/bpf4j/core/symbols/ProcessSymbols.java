package io.bpf4j.core.symbols;

import io.bpf4j.core.format.IoErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The user-space symbols of one process: its executable mappings from {@code /proc/PID/maps}, the function symbols
 * of each mapped ELF file ({@code .symtab} and {@code .dynsym}), and JIT-compiled code named in
 * {@code /tmp/perf-PID.map} when that file exists. A snapshot: mappings made after {@link #of} (a {@code dlopen},
 * new JIT code) are missed until the process is read again ({@link Symbolizer#refresh}).
 *
 * <p>An address in a file mapping is turned into the ELF file's virtual address through the mapping's file
 * offset and the file's PT_LOAD program headers ({@code address - start + offset → vaddr}), which is right for
 * position-independent executables, shared objects and fixed-address executables alike.
 */
public final class ProcessSymbols {
    /** One executable mapping of the process. */
    public record Mapping(long start, long end, long offset, String path) {
        public boolean contains(long address) {
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address, end) < 0;
        }

        /** Whether it maps a file (not anonymous memory, [vdso], [stack]…). */
        public boolean isFile() {
            return path != null && path.startsWith("/");
        }
    }

    private static final Pattern FIELDS = Pattern.compile("\\s+");
    /** The HotSpot JVM's library: a process that maps it is a JVM. */
    private static final String LIBJVM = "libjvm.so";

    private final long pid;
    private final List<Mapping> mappings;
    private final Map<String, Optional<ElfSymbols>> files;
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private final PerfMap perfMap;
    private final Function<Path, ElfSymbols> loader;
    private final boolean hotSpot;

    private ProcessSymbols(long pid, List<Mapping> mappings, PerfMap perfMap, Function<Path, ElfSymbols> loader) {
        this.pid = pid;
        this.mappings = List.copyOf(mappings);
        this.hotSpot = mappings.stream().anyMatch(m -> m.isFile() && m.path().endsWith("/" + LIBJVM));
        this.perfMap = perfMap;
        this.loader = loader;
        this.files = new ConcurrentHashMap<>();
    }

    /**
     * Reads the mappings of process {@code pid}. ELF files are read lazily, the first time an address in them is
     * resolved.
     *
     * @throws IllegalArgumentException when there is no such process
     */
    public static ProcessSymbols of(long pid) {
        return of(pid, ElfSymbols::read);
    }

    /** As {@link #of(long)}, reading ELF files through {@code loader} (a {@link Symbolizer}'s shared cache). */
    static ProcessSymbols of(long pid, Function<Path, ElfSymbols> loader) {
        return of(pid, loader, p -> PerfMap.forPid(p).orElse(null));
    }

    /**
     * As {@link #of(long)}, reading ELF files through {@code loader} and the perf map through {@code perfMaps}
     * (which gives {@code null} when the process has none).
     */
    static ProcessSymbols of(long pid, Function<Path, ElfSymbols> loader, Function<Long, PerfMap> perfMaps) {
        Path maps = Path.of("/proc/" + pid + "/maps");
        List<String> lines;
        try {
            lines = Files.readAllLines(maps);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no process " + pid + " (" + maps + " does not exist; it may have "
                    + "exited)", e);
        } catch (IOException e) {
            String reason = IoErrors.reason(e);
            // a process that is exiting still has its /proc directory, but reading its maps fails with ESRCH
            if (reason.equals("no such process")) {
                throw new IllegalArgumentException("no process " + pid + " (it exited while " + maps + " was read)", e);
            }
            throw new UncheckedIOException("cannot read " + maps + ": " + reason, e);
        }
        return new ProcessSymbols(pid, parseMaps(lines), perfMaps.apply(pid), loader);
    }

    /**
     * Whether {@code other} (a later read of the same process) has the same executable mappings and the same perf
     * map: then this instance, with the ELF files it has read, resolves as the later read would.
     */
    boolean sameAs(ProcessSymbols other) {
        return pid == other.pid && perfMap == other.perfMap && mappings.equals(other.mappings);
    }

    /** The executable mappings in /proc/PID/maps lines ({@code start-end perms offset dev inode path}). */
    static List<Mapping> parseMaps(List<String> lines) {
        List<Mapping> out = new ArrayList<>();
        for (String line : lines) {
            String t = line.trim();
            // most mappings are not executable: look at the permissions before splitting the line
            int sp = t.indexOf(' ');
            if (sp > 0 && sp + 3 < t.length() && t.charAt(sp + 1) != ' ' && t.charAt(sp + 3) != 'x') continue;
            String[] f = FIELDS.split(t, 6);
            if (f.length < 5 || f[1].length() < 3 || f[1].charAt(2) != 'x') continue;
            int dash = f[0].indexOf('-');
            if (dash < 0) continue;
            try {
                long start = Long.parseUnsignedLong(f[0], 0, dash, 16);
                long end = Long.parseUnsignedLong(f[0], dash + 1, f[0].length(), 16);
                long offset = Long.parseUnsignedLong(f[2], 16);
                String path = f.length == 6 ? f[5].strip() : null;
                if (path != null && path.endsWith(" (deleted)")) path = path.substring(0, path.length() - 10);
                out.add(new Mapping(start, end, offset, path == null || path.isEmpty() ? null : path));
            } catch (NumberFormatException e) {
                // not a maps line
            }
        }
        out.sort((a, b) -> Long.compareUnsigned(a.start, b.start));
        return out;
    }

    /** The process id. */
    public long pid() {
        return pid;
    }

    /** The executable mappings, by address. */
    public List<Mapping> mappings() {
        return mappings;
    }

    /**
     * Whether the process is a HotSpot JVM (it maps {@code libjvm.so}): then its anonymous executable memory is the
     * JVM's code cache, JIT-compiled methods, stubs and the interpreter, named by its perf map.
     */
    public boolean isHotSpot() {
        return hotSpot;
    }

    /** The process's perf map (/tmp/perf-PID.map), if it had one when read. */
    public Optional<PerfMap> perfMap() {
        return Optional.ofNullable(perfMap);
    }

    /** The mapping containing {@code address}, if any. */
    public Optional<Mapping> mapping(long address) {
        int lo = 0, hi = mappings.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Mapping m = mappings.get(mid);
            if (Long.compareUnsigned(address, m.start) < 0) hi = mid - 1;
            else if (Long.compareUnsigned(address, m.end) >= 0) lo = mid + 1;
            else return Optional.of(m);
        }
        return Optional.empty();
    }

    /** The symbols of the ELF file mapped at {@code path}, if it could be read. */
    public Optional<ElfSymbols> file(String path) {
        return files.computeIfAbsent(path, p -> {
            // Read through /proc/PID/root so that processes in other mount namespaces (containers) resolve too.
            Path viaRoot = Path.of("/proc/" + pid + "/root" + p);
            for (Path candidate : List.of(viaRoot, Path.of(p))) {
                try {
                    return Optional.of(loader.apply(candidate));
                } catch (RuntimeException e) {
                    failures.put(p, e.getMessage() == null ? e.toString() : e.getMessage());
                }
            }
            return Optional.empty();
        });
    }

    /** The build id of the ELF file mapped at {@code address}, if any. */
    public Optional<String> buildId(long address) {
        return mapping(address).filter(Mapping::isFile).flatMap(m -> file(m.path())).flatMap(ElfSymbols::buildId);
    }

    /** Why the ELF file mapped at {@code path} could not be read, if it could not. */
    public Optional<String> failure(String path) {
        return Optional.ofNullable(failures.get(path));
    }

    /**
     * The frame for user address {@code address}: a JIT (or interpreter) frame when the perf map names it, else the
     * function of the mapped ELF file, else an unresolved frame naming the mapping; in a HotSpot JVM's code cache
     * and not in its perf map, an unresolved {@link Frame.Kind#JIT} frame (code compiled after the map was written).
     */
    public Frame resolve(long address) {
        Optional<Mapping> m = mapping(address);
        if (m.isEmpty() || !m.get().isFile()) {
            if (perfMap != null) {
                Optional<Frame> jit = perfMap.resolve(address);
                if (jit.isPresent()) return jit.get();
            }
            if (hotSpot && m.isPresent() && m.get().path() == null) {
                return Frame.unknown(address, perfMap != null ? perfMap.module() : "perf-" + pid + ".map",
                        Frame.Kind.JIT);
            }
            return Frame.unknown(address, m.map(Mapping::path).orElse(null), Frame.Kind.USER);
        }
        Mapping map = m.get();
        Optional<ElfSymbols> elf = file(map.path());
        if (elf.isEmpty()) return Frame.unknown(address, map.path(), Frame.Kind.USER);
        long fileOffset = address - map.start() + map.offset();
        long vaddr = elf.get().vaddrOfFileOffset(fileOffset);
        return elf.get().find(vaddr)
                .map(h -> new Frame(address, h.name(), h.offset(), map.path(), Frame.Kind.USER))
                .orElseGet(() -> Frame.unknown(address, map.path(), Frame.Kind.USER));
    }

    /** Resolves each address of a user stack, innermost first. */
    public List<Frame> resolve(long[] stack) {
        List<Frame> out = new ArrayList<>(stack.length);
        for (long a : stack) out.add(resolve(a));
        return out;
    }

    @Override
    public String toString() {
        return "ProcessSymbols[pid " + pid + ", " + mappings.size() + " executable mappings"
                + (perfMap == null ? "" : ", " + perfMap) + "]";
    }
}
