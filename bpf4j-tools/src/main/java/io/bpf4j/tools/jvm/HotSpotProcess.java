package io.bpf4j.tools.jvm;

import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfSymbol;
import io.bpf4j.core.format.IoErrors;
import io.bpf4j.tools.MappedFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A running HotSpot JVM as the JVM tools see it: the libjvm.so it maps (where its USDT probes are), and the values
 * of its DTrace flags, read from its memory.
 *
 * <p>Some of HotSpot's probes are compiled into the JVM but only reached when a flag was given at start-up:
 * {@code hotspot:object__alloc} needs {@code DTraceAllocProbes}, {@code hotspot:method__entry/return}
 * {@code DTraceMethodProbes} (JDK 8 to 24 also accept {@code -XX:+ExtendedDTraceProbes}, which sets both; JDK 25
 * removed it). The interpreter and the compilers emit the calls to the probes only when the flag is on at start-up,
 * so it cannot be turned on later. Whether it is on is read from the flag's variable in the process's memory (its
 * address from libjvm.so's {@code .symtab}): that sees the flag however it was given (command line,
 * {@code JAVA_TOOL_OPTIONS}, an {@code @argfile}, {@code -XX:Flags=}).
 */
final class HotSpotProcess {
    private static final String LIBJVM = "libjvm.so";
    private static final int PT_LOAD = 1;
    /**
     * Where each flag variable is, per libjvm.so file (the symbol table of a 25 MB library takes a while to read), by
     * {@link #fileKey}: each process reaches the same file by a path of its own, through /proc/PID/root.
     */
    private static final Map<Object, Map<String, Long>> FLAG_ADDRESSES = new ConcurrentHashMap<>();
    /** The flags the tools ask about. */
    private static final List<String> FLAGS = List.of("DTraceAllocProbes", "DTraceMethodProbes",
            "DTraceMonitorProbes", "ExtendedDTraceProbes");

    private final int pid;
    private final Path libjvm;

    private HotSpotProcess(int pid, Path libjvm) {
        this.pid = pid;
        this.libjvm = libjvm;
    }

    /** Process {@code pid} when it runs a HotSpot JVM (maps a libjvm.so), else empty. */
    static Optional<HotSpotProcess> of(int pid) {
        return MappedFiles.find(pid, LIBJVM::equals).map(p -> new HotSpotProcess(pid, p));
    }

    /**
     * Process {@code pid}, which must run a HotSpot JVM.
     *
     * @throws IllegalArgumentException when it maps no libjvm.so, or there is no such process
     */
    static HotSpotProcess require(int pid) {
        return of(pid).orElseThrow(() -> new IllegalArgumentException("process " + pid + " ("
                + MappedFiles.comm(pid) + ") has no libjvm.so mapped: it is not a HotSpot JVM (or has not started "
                + "one yet)"));
    }

    /** Every process that maps a libjvm.so now (a scan of /proc), in PID order, leaving out {@code except}. */
    static List<HotSpotProcess> all(long except) {
        List<HotSpotProcess> found = new ArrayList<>();
        List<Integer> pids = new ArrayList<>();
        try (var procs = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : procs) {
                String name = p.getFileName().toString();
                if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) pids.add(Integer.parseInt(name));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list /proc: " + IoErrors.reason(e), e);
        }
        pids.sort(null);
        for (int pid : pids) {
            if (pid == except) continue;
            try {
                of(pid).ifPresent(found::add);
            } catch (RuntimeException gone) {
                // it exited while being looked at, or runs a libjvm.so replaced since: nothing to attach to
            }
        }
        return found;
    }

    /** The process id. */
    int pid() {
        return pid;
    }

    /** The libjvm.so it runs, as this process can open it. */
    Path libjvm() {
        return libjvm;
    }

    /**
     * The value of the JVM's boolean flag {@code name} (e.g. {@code DTraceMethodProbes}), read from its memory;
     * empty when this JVM has no such flag (or its libjvm.so has no symbol table).
     *
     * @throws IllegalStateException when the process's memory cannot be read
     */
    Optional<Boolean> flag(String name) {
        Long vaddr = flagAddresses(libjvm).get(name);
        if (vaddr == null) return Optional.empty();
        long address = loadBias() + vaddr;
        Path mem = Path.of("/proc", Integer.toString(pid), "mem");
        try (FileChannel ch = FileChannel.open(mem, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            if (ch.read(b, address) != 1) throw new IOException("nothing at 0x" + Long.toHexString(address));
            return Optional.of(b.get(0) != 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read flag " + name + " of process " + pid + " in " + mem + " ("
                    + IoErrors.reason(e) + "): run as root (reading another process's memory needs CAP_SYS_PTRACE)",
                    e);
        }
    }

    /**
     * Fails, saying which flag to start the JVM with, unless {@code flag} (DTraceAllocProbes or
     * DTraceMethodProbes) is on: the probe named {@code probe} is never reached without it.
     *
     * @throws IllegalStateException when the flag is off
     */
    void requireFlag(String flag, String probe) {
        if (flag(flag).orElse(true)) return;
        throw new IllegalStateException("process " + pid + " (" + MappedFiles.comm(pid) + ") runs without "
                + flagToGive(flag) + ", so its JVM never fires hotspot:" + probe + "; restart it with that flag");
    }

    /**
     * The command-line option that turns {@code flag} on in this JVM: {@code -XX:+ExtendedDTraceProbes} where it
     * exists (up to JDK 24; it sets all three DTrace flags), else {@code -XX:+flag}.
     */
    String flagToGive(String flag) {
        return flagAddresses(libjvm).containsKey("ExtendedDTraceProbes") ? "-XX:+ExtendedDTraceProbes"
                : "-XX:+" + flag;
    }

    /** Its command line, arguments separated by spaces ("" when it cannot be read). */
    String cmdline() {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Integer.toString(pid), "cmdline"));
            return new String(raw, java.nio.charset.StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException gone) {
            return "";
        }
    }

    /**
     * The address in the process of the first byte of libjvm.so (file offset 0) minus the virtual address the file
     * gives it: what to add to a symbol's value.
     */
    private long loadBias() {
        Path maps = Path.of("/proc", Integer.toString(pid), "maps");
        String file = libjvm.toString();
        String inRoot = "/proc/" + pid + "/root";
        if (file.startsWith(inRoot)) file = file.substring(inRoot.length());
        try {
            for (String line : Files.readAllLines(maps)) {
                // start-end perms offset dev inode path
                String[] f = line.split("\\s+", 6);
                if (f.length < 6 || !f[5].strip().equals(file) || Long.parseLong(f[2], 16) != 0) continue;
                return Long.parseUnsignedLong(f[0].substring(0, f[0].indexOf('-')), 16) - firstLoadVaddr(libjvm);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalStateException("process " + pid + " exited");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + maps + ": " + IoErrors.reason(e), e);
        }
        throw new IllegalStateException("process " + pid + " maps no part of " + file + " at file offset 0");
    }

    private static Map<String, Long> flagAddresses(Path libjvm) {
        return FLAG_ADDRESSES.computeIfAbsent(fileKey(libjvm), k -> readFlagAddresses(libjvm));
    }

    /** What identifies {@code file} whatever the path to it (device and inode), or its real path. */
    static Object fileKey(Path file) {
        try {
            Object key = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
            return key != null ? key : file.toRealPath();
        } catch (IOException e) {
            return file;
        }
    }

    private static Map<String, Long> readFlagAddresses(Path libjvm) {
        Map<String, Long> found = new HashMap<>();
        withFile(libjvm, data -> {
            for (ElfSymbol s : ElfFile.parse(data).symbols()) {
                if (s.type() == ElfSymbol.STT_OBJECT && FLAGS.contains(s.name())) found.put(s.name(), s.value());
            }
        });
        return Map.copyOf(found);
    }

    /** The virtual address of the PT_LOAD segment at file offset 0 (0 for a shared library as linkers make them). */
    private static long firstLoadVaddr(Path file) {
        long[] vaddr = {0};
        withFile(file, data -> {
            long phoff = data.get(ValueLayout.JAVA_LONG_UNALIGNED, 32);
            int phentsize = Short.toUnsignedInt(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, 54));
            int phnum = Short.toUnsignedInt(data.get(ValueLayout.JAVA_SHORT_UNALIGNED, 56));
            for (int i = 0; i < phnum; i++) {
                long at = phoff + (long) i * phentsize;
                if (data.get(ValueLayout.JAVA_INT_UNALIGNED, at) == PT_LOAD
                        && data.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 8) == 0) {
                    vaddr[0] = data.get(ValueLayout.JAVA_LONG_UNALIGNED, at + 16);
                    return;
                }
            }
        });
        return vaddr[0];
    }

    private static void withFile(Path file, java.util.function.Consumer<MemorySegment> reader) {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            reader.accept(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + IoErrors.reason(e), e);
        }
    }

    /** A class name as the JVM writes it ({@code java/lang/String}) as Java writes it ({@code java.lang.String}). */
    static String javaName(String internal) {
        return internal.replace('/', '.');
    }

    /** A class name or prefix as Java writes it ({@code java.lang.}) as the JVM does ({@code java/lang/}). */
    static String internalName(String javaName) {
        return javaName.replace('.', '/');
    }
}
