package io.bpf4j.core.symbols;

import io.bpf4j.core.format.IoErrors;
import io.bpf4j.core.jvm.JvmAttach;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A perf map: the symbols a JIT compiler writes to {@code /tmp/perf-PID.map} ({@code START SIZE NAME} a line,
 * hexadecimal, as the JVM's {@code -XX:+DumpPerfMapAtExit} / {@code jcmd PID Compiler.perfmap}, perf-map-agent,
 * Node's {@code --perf-basic-prof} and others write it). Later lines win over earlier ones for the same range,
 * since JITs append when code is regenerated.
 */
public final class PerfMap {
    /** The name HotSpot gives its template interpreter's code in a perf map. */
    static final String INTERPRETER = "Interpreter";

    /** One JIT-compiled function. */
    public record Entry(long start, long size, String name) {
        public boolean contains(long address) {
            return Long.compareUnsigned(address, start) >= 0 && Long.compareUnsigned(address - start, size) < 0;
        }
    }

    private final String module;
    private final long[] starts;
    private final Entry[] entries;

    private PerfMap(String module, List<Entry> list) {
        this.module = module;
        // Stable sort keeps file order among equal starts; the last one written wins when resolving.
        List<Entry> sorted = new ArrayList<>(list);
        sorted.sort((a, b) -> Long.compareUnsigned(a.start, b.start));
        this.entries = sorted.toArray(Entry[]::new);
        this.starts = new long[entries.length];
        for (int i = 0; i < entries.length; i++) starts[i] = entries[i].start;
    }

    /** The perf map of process {@code pid} ({@link #path}), if it exists. */
    public static Optional<PerfMap> forPid(long pid) {
        return read(path(pid));
    }

    /**
     * Where process {@code pid}'s perf map is: {@code /tmp/perf-PID.map} as the process sees it, that is in its
     * mount namespace ({@code /proc/PID/root/tmp}) and named with the PID it has in its PID namespace (the last of
     * {@code NSpid} in {@code /proc/PID/status}), as perf looks for it; {@code /tmp/perf-PID.map} when its root
     * cannot be read (a process gone, or a caller without ptrace access to it).
     */
    public static Path path(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        Path root = proc.resolve("root");
        if (Files.isDirectory(root)) {
            return root.resolve("tmp").resolve("perf-" + JvmAttach.namespacePid(pid) + ".map");
        }
        return Path.of("/tmp/perf-" + pid + ".map");
    }

    /** Reads a perf map file; empty if it does not exist. */
    public static Optional<PerfMap> read(Path file) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return Optional.of(parse(r, file.getFileName().toString()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read perf map " + file + ": " + IoErrors.reason(e), e);
        }
    }

    /**
     * Parses perf map text. Lines that are not {@code START SIZE NAME} (hex numbers, optionally {@code 0x}-prefixed;
     * the name may contain spaces) are skipped.
     *
     * @param module the name frames carry, e.g. {@code perf-1234.map}
     */
    public static PerfMap parse(Reader text, String module) throws IOException {
        BufferedReader in = text instanceof BufferedReader b ? b : new BufferedReader(text);
        List<Entry> list = new ArrayList<>();
        for (String line; (line = in.readLine()) != null; ) {
            String s = line.strip();
            int sp1 = s.indexOf(' ');
            if (sp1 <= 0) continue;
            int sp2 = s.indexOf(' ', sp1 + 1);
            if (sp2 <= sp1 + 1) continue;
            try {
                long start = hex(s.substring(0, sp1));
                long size = hex(s.substring(sp1 + 1, sp2));
                String name = s.substring(sp2 + 1).strip();
                if (name.isEmpty()) continue;
                list.add(new Entry(start, size, name));
            } catch (NumberFormatException e) {
                // not a perf map line
            }
        }
        return new PerfMap(module, list);
    }

    private static long hex(String s) {
        if (s.startsWith("0x") || s.startsWith("0X")) s = s.substring(2);
        return Long.parseUnsignedLong(s, 16);
    }

    /** The entries, by start address. */
    public List<Entry> entries() {
        return List.of(entries);
    }

    /** The module name frames carry ({@code perf-PID.map}). */
    public String module() {
        return module;
    }

    /** The entry covering {@code address}, the last written one if several do. */
    public Optional<Entry> find(long address) {
        int lo = 0, hi = starts.length - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(starts[mid], address) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        // Entries starting at or below the address, nearest first: the first one that covers it wins. A bounded
        // look-back keeps this fast; JIT entries rarely nest.
        for (int i = found, n = 0; i >= 0 && n < 64; i--, n++) {
            if (entries[i].contains(address)) return Optional.of(entries[i]);
        }
        return Optional.empty();
    }

    /**
     * The JIT frame for {@code address}, if an entry covers it: {@link Frame.Kind#INTERPRETED} in the JVM's template
     * interpreter (the entry HotSpot names {@code Interpreter}), else {@link Frame.Kind#JIT}.
     */
    public Optional<Frame> resolve(long address) {
        return find(address).map(e -> new Frame(address, e.name, address - e.start, module,
                e.name.equals(INTERPRETER) ? Frame.Kind.INTERPRETED : Frame.Kind.JIT));
    }

    @Override
    public String toString() {
        return "PerfMap[" + module + ", " + entries.length + " entries]";
    }
}
