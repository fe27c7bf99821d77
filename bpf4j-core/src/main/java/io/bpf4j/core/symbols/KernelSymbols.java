package io.bpf4j.core.symbols;

import io.bpf4j.core.format.IoErrors;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The kernel's text symbols from /proc/kallsyms, parsed once and sorted by address, resolving kernel
 * instruction addresses (from {@code bpf_get_stackid} or {@code bpf_get_stack}) to {@code symbol+offset [module]}.
 * Functions of loaded kernel modules carry the module's name ({@code [nf_tables]}); the rest are {@code [kernel]}.
 * BPF programs appear too ({@code bpf_prog_…_name [bpf]}) while loaded.
 *
 * <p>When {@code kernel.kptr_restrict} hides addresses (every address reads as 0, as for non-root users),
 * {@link #load()} fails with an exception saying so instead of resolving every frame to the first symbol.
 */
public final class KernelSymbols {
    /** The file the kernel lists its symbols in. */
    public static final Path KALLSYMS = Path.of("/proc/kallsyms");

    private static volatile KernelSymbols shared;

    private final long[] addresses;
    private final String[] names;
    /** When reading /proc/kallsyms began (System.nanoTime); set before the instance is shared. */
    private long readAt = System.nanoTime();
    private final String[] modules;
    // by name, made on first use: resolving stacks, the common use, needs only the arrays
    private volatile Map<String, Long> byName;

    private KernelSymbols(long[] addresses, String[] names, String[] modules) {
        this.addresses = addresses;
        this.names = names;
        this.modules = modules;
    }

    private Map<String, Long> byName() {
        Map<String, Long> m = byName;
        if (m == null) {
            synchronized (this) {
                m = byName;
                if (m == null) {
                    m = new HashMap<>(names.length * 2);
                    for (int i = names.length - 1; i >= 0; i--) m.put(names[i], addresses[i]);
                    byName = m;
                }
            }
        }
        return m;
    }

    /**
     * The symbols of the running kernel, read from /proc/kallsyms the first time and shared afterwards (modules
     * loaded later are missed: use {@link #reload()}).
     *
     * @throws IllegalStateException when kallsyms shows only zero addresses (kptr_restrict)
     */
    public static KernelSymbols load() {
        KernelSymbols k = shared;
        if (k == null) {
            synchronized (KernelSymbols.class) {
                k = shared;
                if (k == null) shared = k = reload();
            }
        }
        return k;
    }

    /**
     * As {@link #load()}, but read no earlier than {@code notBefore} (a {@link System#nanoTime()}): BPF programs
     * come and go, and a program loaded after the shared copy was read has no name in it — its frames would take the
     * name of whatever precedes them (a BPF dispatcher, say).
     */
    public static KernelSymbols load(long notBefore) {
        KernelSymbols k = load();
        if (k.readAt - notBefore >= 0) return k;
        synchronized (KernelSymbols.class) {
            k = shared;
            return k.readAt - notBefore >= 0 ? k : reload();
        }
    }

    /** Reads /proc/kallsyms afresh (and makes it the instance {@link #load()} returns). */
    public static KernelSymbols reload() {
        long start = System.nanoTime();
        try (Reader r = Files.newBufferedReader(KALLSYMS, StandardCharsets.ISO_8859_1)) {
            KernelSymbols k = parse(r, KALLSYMS.toString());
            k.readAt = start;
            shared = k;
            return k;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + KALLSYMS + ": " + IoErrors.reason(e), e);
        }
    }

    /**
     * Parses text in the /proc/kallsyms format ({@code ADDRESS TYPE NAME [MODULE]} a line), keeping text symbols
     * (types t, T, w, W).
     *
     * @param source named in error messages
     * @throws IllegalStateException when every address is zero (kptr_restrict)
     */
    public static KernelSymbols parse(Reader text, String source) throws IOException {
        BufferedReader in = text instanceof BufferedReader b ? b : new BufferedReader(text);
        List<Entry> entries = new ArrayList<>(1 << 17);
        Map<String, String> moduleNames = new HashMap<>();
        int lines = 0;
        boolean anyNonZero = false;
        for (String line; (line = in.readLine()) != null; ) {
            lines++;
            int s1 = line.indexOf(' ');
            if (s1 <= 0 || s1 + 3 > line.length()) continue;
            char type = line.charAt(s1 + 1);
            if (line.charAt(s1 + 2) != ' ') continue;
            long addr;
            try {
                addr = Long.parseUnsignedLong(line, 0, s1, 16);
            } catch (NumberFormatException e) {
                continue;
            }
            if (addr != 0) anyNonZero = true;
            if (type != 't' && type != 'T' && type != 'w' && type != 'W') continue;
            int nameStart = s1 + 3;
            int tab = line.indexOf('\t', nameStart);
            String name, module = "kernel";
            if (tab < 0) {
                name = line.substring(nameStart);
            } else {
                name = line.substring(nameStart, tab);
                int open = line.indexOf('[', tab), close = line.lastIndexOf(']');
                if (open >= 0 && close > open) {
                    module = moduleNames.computeIfAbsent(line.substring(open + 1, close), m -> m);
                }
            }
            entries.add(new Entry(addr, name, module));
        }
        if (lines > 0 && !anyNonZero) {
            throw new IllegalStateException(source + " lists every kernel symbol at address 0: kernel.kptr_restrict ("
                    + "/proc/sys/kernel/kptr_restrict = " + kptrRestrict() + ") hides kernel addresses from this "
                    + "process. Run as root (or with CAP_SYSLOG) and with kptr_restrict 0 or 1: "
                    + "sysctl kernel.kptr_restrict=1");
        }
        if (entries.isEmpty()) throw new IllegalStateException(source + " lists no kernel text symbols");
        entries.sort((a, b) -> Long.compareUnsigned(a.address, b.address));
        long[] addresses = new long[entries.size()];
        String[] names = new String[entries.size()];
        String[] modules = new String[entries.size()];
        for (int i = 0; i < addresses.length; i++) {
            Entry e = entries.get(i);
            addresses[i] = e.address;
            names[i] = e.name;
            modules[i] = e.module;
        }
        return new KernelSymbols(addresses, names, modules);
    }

    private record Entry(long address, String name, String module) {
    }

    private static String kptrRestrict() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/kptr_restrict")).strip();
        } catch (IOException e) {
            return "unreadable";
        }
    }

    /** How many text symbols there are. */
    public int size() {
        return addresses.length;
    }

    /** The address of the function {@code name} (the first, if several share the name). */
    public OptionalLong address(String name) {
        Long a = byName().get(name);
        return a == null ? OptionalLong.empty() : OptionalLong.of(a);
    }

    /** Whether a text symbol named {@code name} exists. */
    public boolean contains(String name) {
        return byName().containsKey(name);
    }

    /**
     * The frame for kernel address {@code address}: the symbol at or below it with the offset, or an unresolved
     * frame when the address lies below the first symbol.
     */
    public Frame resolve(long address) {
        int i = floor(address);
        if (i < 0) return Frame.unknown(address, null, Frame.Kind.KERNEL);
        return new Frame(address, names[i], address - addresses[i], modules[i], Frame.Kind.KERNEL);
    }

    /** The symbol at or below {@code address}, if any. */
    public Optional<String> symbol(long address) {
        int i = floor(address);
        return i < 0 ? Optional.empty() : Optional.of(names[i]);
    }

    /** Resolves each address of a stack, innermost first. */
    public List<Frame> resolve(long[] stack) {
        List<Frame> out = new ArrayList<>(stack.length);
        for (long a : stack) out.add(resolve(a));
        return out;
    }

    /** The index of the last symbol whose address is ≤ {@code address} (unsigned), or -1. */
    private int floor(long address) {
        int lo = 0, hi = addresses.length - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(addresses[mid], address) <= 0) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        // Several names at one address (aliases): take the first, which Arrays sort kept stable.
        while (found > 0 && addresses[found - 1] == addresses[found]) found--;
        return found;
    }

    @Override
    public String toString() {
        return "KernelSymbols[" + addresses.length + " text symbols, "
                + Arrays.stream(modules).distinct().count() + " modules]";
    }
}
