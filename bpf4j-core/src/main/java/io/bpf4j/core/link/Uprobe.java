package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfSection;
import io.bpf4j.core.elf.ElfSymbol;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.PerfEventAttr;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Attaches kprobe-type programs ({@link ProgramType#KPROBE}) to user-space functions: uprobes (function entry or any
 * instruction) and uretprobes (function return), in an executable or shared library.
 * <p>
 * {@link #attach} opens a perf event of the uprobe PMU (type from /sys/bus/event_source/devices/uprobe/type;
 * config1 = the path, config2 = the file offset, the retprobe bit and the semaphore ("reference counter") offset as
 * the PMU's format directory says) and attaches the program through a BPF link (BPF_LINK_CREATE, BPF_PERF_EVENT;
 * PERF_EVENT_IOC_SET_BPF before 5.15). {@link #attachMulti} attaches one program to many offsets with a single
 * uprobe_multi link (BPF_TRACE_UPROBE_MULTI, Linux 6.6+; the program must be loaded with that expected attach type).
 * <p>
 * A binary is a path ({@code /usr/bin/bash}), a library name ({@code "c"}, {@code "libc"}, {@code "libc.so.6"},
 * looked up in this process's /proc/self/maps and then the usual library directories) or an executable on $PATH
 * ({@link #resolve}). Symbols are looked up in .symtab and .dynsym; the file offset is
 * {@code st_value - section address + section file offset}, which is right for executables, PIEs and libraries.
 */
public final class Uprobe {
    private static final Path PMU = Path.of("/sys/bus/event_source/devices/uprobe");
    private static final int SHT_DYNSYM = 11;
    /** BPF_F_UPROBE_MULTI_RETURN. */
    private static final int MULTI_RETURN = 1;

    private Uprobe() {
    }

    /** Attaches {@code program} to the entry (or, with {@code retprobe}, the return) of {@code symbol}. */
    public static Link attach(Program program, Path binary, String symbol, boolean retprobe, int pid) {
        Path file = resolve(binary.toString());
        return attach(program, file, offset(file, symbol), retprobe, pid, 0, 0, symbol);
    }

    /**
     * Attaches {@code program} to a target written as in libbpf section names ({@code SEC("uprobe/TARGET")}):
     * {@code binary:function[+offset]} or {@code binary:0xOFFSET}, the binary a path or library name
     * ({@code "c:malloc"}, {@code "/usr/bin/bash:readline"}).
     */
    public static Link attach(Program program, String target, boolean retprobe, int pid) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0 || colon == target.length() - 1) {
            throw new IllegalArgumentException("uprobe target '" + target + "' is not binary:function[+offset]");
        }
        Path binary = Path.of(target.substring(0, colon));
        String what = target.substring(colon + 1);
        if (what.startsWith("0x")) return attach(program, binary, Long.parseUnsignedLong(what.substring(2), 16),
                retprobe, pid);
        return attach(program, binary, what, retprobe, pid);
    }

    /** Attaches {@code program} at file offset {@code offset} of {@code binary}; {@code pid} -1 for every process. */
    public static Link attach(Program program, Path binary, long offset, boolean retprobe, int pid) {
        Path file = resolve(binary.toString());
        return attach(program, file, offset, retprobe, pid, 0, 0, null);
    }

    /**
     * The full form: {@code refCtrOffset} is the file offset of a USDT semaphore the kernel increments while the
     * probe is attached (0 for none), {@code cookie} the value {@code bpf_get_attach_cookie()} returns.
     */
    public static Link attach(Program program, Path binary, long offset, boolean retprobe, int pid,
                              long refCtrOffset, long cookie) {
        return attach(program, resolve(binary.toString()), offset, retprobe, pid, refCtrOffset, cookie, null);
    }

    private static Link attach(Program program, Path file, long offset, boolean retprobe, int pid,
                               long refCtrOffset, long cookie, String symbol) {
        requireKprobeType(program);
        String what = (retprobe ? "uretprobe '" : "uprobe '") + program.name() + "' on " + file
                + (symbol == null ? "" : ":" + symbol) + "+0x" + Long.toHexString(offset)
                + (pid < 0 ? "" : " (pid " + pid + ")");
        Fd perf = open(file, offset, retprobe, pid, refCtrOffset, what);
        try {
            return PerfLinks.attach(program, perf, cookie, what);
        } catch (RuntimeException e) {
            perf.close();
            throw e;
        }
    }

    /**
     * Attaches {@code program} to every symbol of {@code symbols} with one uprobe_multi link (Linux 6.6+). The
     * program must be loaded with expected attach type {@link AttachType#TRACE_UPROBE_MULTI}.
     */
    public static Link attachMulti(Program program, Path binary, List<String> symbols, boolean retprobe, int pid) {
        Path file = resolve(binary.toString());
        long[] offsets = new long[symbols.size()];
        for (int i = 0; i < offsets.length; i++) offsets[i] = offset(file, symbols.get(i));
        return attachMulti(program, file, offsets, null, null, retprobe, pid);
    }

    /**
     * As {@link #attachMulti(Program, Path, List, boolean, int)} with file offsets, optional semaphore offsets and
     * optional cookies (null or one per offset).
     */
    public static Link attachMulti(Program program, Path binary, long[] offsets, long[] refCtrOffsets,
                                   long[] cookies, boolean retprobe, int pid) {
        requireKprobeType(program);
        if (offsets.length == 0) throw new IllegalArgumentException("uprobe_multi needs at least one offset");
        if (refCtrOffsets != null && refCtrOffsets.length != offsets.length
                || cookies != null && cookies.length != offsets.length) {
            throw new IllegalArgumentException("refCtrOffsets and cookies must be null or have one entry per offset");
        }
        Path file = resolve(binary.toString());
        String what = (retprobe ? "uretprobe_multi '" : "uprobe_multi '") + program.name() + "' on " + file + " ("
                + offsets.length + " offsets" + (pid < 0 ? "" : ", pid " + pid) + ")";
        int link = Bpf.linkCreateUprobeMulti(program.fd(), AttachType.TRACE_UPROBE_MULTI.code(), file.toString(),
                offsets, refCtrOffsets, cookies, retprobe ? MULTI_RETURN : 0, Math.max(pid, 0));
        if (link < 0) {
            Errno e = Errno.of(-link);
            String hint = switch (e) {
                case EINVAL -> "uprobe_multi needs Linux 6.6+ and a program loaded with expected attach type "
                        + "TRACE_UPROBE_MULTI (ProgramSpec.withExpectedAttachType); use attach() per offset otherwise";
                case ESRCH -> "no process " + pid;
                case ENOENT -> "the binary does not exist";
                default -> null;
            };
            throw new BpfException("BPF_LINK_CREATE", -link,
                    Bpf.message("BPF_LINK_CREATE (" + what + ")", -link, hint));
        }
        return new Link(Fd.adopt(link), true, what, List.of());
    }

    /** True when this kernel should have uprobe_multi links: a uprobe PMU and Linux 6.6 or later. */
    public static boolean multiSupported() {
        return Files.isDirectory(PMU) && kernelAtLeast(6, 6);
    }

    private static boolean kernelAtLeast(int major, int minor) {
        try {
            String[] v = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip().split("[.-]");
            int ma = Integer.parseInt(v[0]), mi = Integer.parseInt(v[1]);
            return ma > major || ma == major && mi >= minor;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static void requireKprobeType(Program program) {
        if (program.type() != ProgramType.KPROBE) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", but uprobes run kprobe-type programs (SEC(\"uprobe/...\"), SEC(\"usdt/...\"))");
        }
    }

    // --- perf event ---------------------------------------------------------------------------------------------

    static Fd open(Path file, long offset, boolean retprobe, int pid, long refCtrOffset, String what) {
        int type = pmuType();
        try (Arena arena = Arena.ofConfined()) {
            long config = 0;
            if (retprobe) config |= formatBits("retprobe", 1);
            if (refCtrOffset != 0) {
                FormatField f = formatField("ref_ctr_offset");
                if (f == null) {
                    throw new BpfException("perf_event_open", Errno.EOPNOTSUPP.code(), what + ": this kernel's "
                            + "uprobe PMU has no ref_ctr_offset (Linux 4.20+), so USDT semaphores cannot be set");
                }
                config |= (refCtrOffset & ((1L << f.width) - 1)) << f.shift;
            }
            MemorySegment attr = PerfEventAttr.allocate(arena, type, config);
            MemorySegment path = arena.allocateFrom(file.toString());
            attr.set(JAVA_LONG, PerfEventAttr.CONFIG1, path.address());
            attr.set(JAVA_LONG, PerfEventAttr.CONFIG2, offset);
            attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 1);
            attr.set(JAVA_INT, PerfEventAttr.WAKEUP_EVENTS, 1);
            int fd = PerfEventAttr.open(attr, pid < 0 ? -1 : pid, pid < 0 ? 0 : -1, -1, 0);
            if (fd < 0) {
                String hint = switch (Errno.of(-fd)) {
                    case EACCES, EPERM -> "uprobes need root or CAP_PERFMON (and CAP_SYS_ADMIN for other users' "
                            + "processes)";
                    case ENOENT -> "the file " + file + " does not exist";
                    case ESRCH -> "no process " + pid;
                    case EINVAL -> "the offset 0x" + Long.toHexString(offset) + " is not inside the file's code, or "
                            + "a uprobe with another semaphore offset is already on it";
                    default -> null;
                };
                throw new BpfException("perf_event_open", -fd, Bpf.message("perf_event_open for " + what, -fd, hint));
            }
            return Fd.adopt(fd);
        }
    }

    /** The uprobe PMU's perf type. */
    static int pmuType() {
        try {
            return Integer.parseInt(Files.readString(PMU.resolve("type")).strip());
        } catch (IOException | NumberFormatException e) {
            throw new BpfException("uprobe PMU", Errno.ENOENT.code(), "this kernel has no uprobe PMU ("
                    + PMU.resolve("type") + " unreadable: " + e + "); uprobes need CONFIG_UPROBE_EVENTS", e);
        }
    }

    private record FormatField(int shift, int width) {
    }

    /** Parses /sys/bus/event_source/devices/uprobe/format/NAME, e.g. "config:0" or "config:32-63". */
    private static FormatField formatField(String name) {
        try {
            String s = Files.readString(PMU.resolve("format").resolve(name)).strip();
            String bits = s.substring(s.indexOf(':') + 1);
            int dash = bits.indexOf('-');
            int lo = Integer.parseInt(dash < 0 ? bits : bits.substring(0, dash));
            int hi = dash < 0 ? lo : Integer.parseInt(bits.substring(dash + 1));
            return new FormatField(lo, hi - lo + 1);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static long formatBits(String name, long value) {
        FormatField f = formatField(name);
        if (f == null) {
            throw new BpfException("uprobe PMU", Errno.EOPNOTSUPP.code(), "the uprobe PMU has no '" + name
                    + "' format field (" + PMU.resolve("format").resolve(name) + ")");
        }
        return value << f.shift;
    }

    // --- binaries and symbols -----------------------------------------------------------------------------------

    /**
     * The file a binary name stands for: a path containing '/' as is; a library name ("c", "libc", "libc.so.6")
     * as mapped into this process (/proc/self/maps) or found in the library directories; a command on $PATH.
     *
     * @throws IllegalArgumentException when nothing matches
     */
    public static Path resolve(String name) {
        if (name.contains("/")) {
            Path p = Path.of(name);
            if (!Files.isRegularFile(p)) throw new IllegalArgumentException("binary " + name + " does not exist");
            return p.toAbsolutePath();
        }
        String lib = name.startsWith("lib") ? name : "lib" + name;
        // 1. mapped into this process
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash < 0) continue;
                String path = line.substring(slash).strip();
                String base = path.substring(path.lastIndexOf('/') + 1);
                if (base.equals(name) || base.startsWith(lib + ".so") || base.startsWith(lib + "-")
                        && base.contains(".so")) {
                    Path p = Path.of(path);
                    if (Files.isRegularFile(p)) return p;
                }
            }
        } catch (IOException ignored) {
            // fall through to the directories
        }
        // 2. library directories
        for (String dir : List.of("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
                "/lib", "/usr/lib", "/usr/local/lib")) {
            Path d = Path.of(dir);
            if (!Files.isDirectory(d)) continue;
            Path exact = d.resolve(name);
            if (name.contains(".so") && Files.isRegularFile(exact)) return exact;
            for (String suffix : List.of(".so.6", ".so.1", ".so.0", ".so")) {
                Path p = d.resolve(lib + suffix);
                if (Files.isRegularFile(p)) return p;
            }
        }
        // 3. $PATH
        String env = System.getenv("PATH");
        if (env != null) {
            for (String dir : env.split(":")) {
                if (dir.isEmpty()) continue;
                Path p = Path.of(dir, name);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
            }
        }
        throw new IllegalArgumentException("no binary or library '" + name + "': not a path, not mapped into this "
                + "process, not in /lib/x86_64-linux-gnu, /usr/lib…, nor a command on $PATH");
    }

    /**
     * The file offset of function {@code symbol} in {@code binary} ({@code .symtab}, then {@code .dynsym}); a
     * {@code "name+0x10"} suffix adds an offset into the function.
     *
     * @throws IllegalArgumentException when the symbol is not there (the message lists close names)
     */
    public static long offset(Path binary, String symbol) {
        long extra = 0;
        String name = symbol;
        int plus = symbol.lastIndexOf('+');
        if (plus > 0) {
            String n = symbol.substring(plus + 1);
            extra = n.startsWith("0x") ? Long.parseLong(n.substring(2), 16) : Long.parseLong(n);
            name = symbol.substring(0, plus);
        }
        ElfFile elf = ElfFile.read(binary);
        Map<String, Long> functions = functions(elf);
        Long addr = functions.get(name);
        if (addr == null) {
            List<String> near = Tracepoint.closest(new ArrayList<>(functions.keySet()), name);
            throw new IllegalArgumentException("no function '" + name + "' in " + binary + " (" + functions.size()
                    + " function symbols" + (functions.isEmpty() ? ": the file is stripped" : "") + ")"
                    + (near.isEmpty() ? "" : "; close matches: " + String.join(", ", near)));
        }
        return fileOffset(elf, addr) + extra;
    }

    /**
     * The names of the functions of {@code binary} that {@link #attach(Program, Path, String, boolean, int)} can
     * probe (defined function symbols of {@code .symtab} and {@code .dynsym}), sorted: what wildcards in uprobe
     * attach points and probe listings expand against.
     *
     * @throws java.io.UncheckedIOException when the file cannot be read
     */
    public static List<String> functionNames(Path binary) {
        List<String> names = new ArrayList<>(functions(ElfFile.read(binary)).keySet());
        names.sort(null);
        return names;
    }

    /**
     * A function symbol of a binary.
     *
     * @param name    its name
     * @param address its virtual address
     * @param size    its size in bytes (0 when the symbol table does not give one)
     */
    public record Function(String name, long address, long size) {
    }

    /**
     * The function symbols of {@code binary} ({@code .symtab}, then {@code .dynsym} for names {@code .symtab}
     * lacks), with their addresses and sizes: what uprobes by address and offset are checked against.
     *
     * @throws java.io.UncheckedIOException when the file cannot be read
     */
    public static List<Function> functionSymbols(Path binary) {
        List<Function> out = new ArrayList<>();
        functionSymbols(ElfFile.read(binary)).forEach((name, addressAndSize) ->
                out.add(new Function(name, addressAndSize[0], addressAndSize[1])));
        return out;
    }

    /** Function symbols (defined, non-zero address) of .symtab and .dynsym, by name → virtual address. */
    static Map<String, Long> functions(ElfFile elf) {
        Map<String, Long> out = new LinkedHashMap<>();
        functionSymbols(elf).forEach((name, addressAndSize) -> out.put(name, addressAndSize[0]));
        return out;
    }

    /** Function symbols (defined, non-zero address) of .symtab and .dynsym, by name → {virtual address, size}. */
    private static Map<String, long[]> functionSymbols(ElfFile elf) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (ElfSymbol s : elf.symbols()) {
            if ((s.type() == ElfSymbol.STT_FUNC || s.type() == 10 /* STT_GNU_IFUNC */) && s.value() != 0
                    && !s.isUndefined()) {
                out.putIfAbsent(s.name(), new long[] {s.value(), s.size()});
            }
        }
        for (ElfSection sec : elf.sections()) {
            if (sec.type() != SHT_DYNSYM) continue;
            ByteBuffer syms = ByteBuffer.wrap(elf.data(sec)).order(ByteOrder.LITTLE_ENDIAN);
            byte[] strs = elf.data(elf.section(sec.link()));
            for (int at = 24; at + 24 <= syms.capacity(); at += 24) {
                int nameOff = syms.getInt(at);
                int info = syms.get(at + 4) & 0xff;
                int shndx = syms.getShort(at + 6) & 0xffff;
                long value = syms.getLong(at + 8);
                long size = syms.getLong(at + 16);
                int type = info & 0xf;
                if ((type != ElfSymbol.STT_FUNC && type != 10) || value == 0 || shndx == 0) continue;
                int end = nameOff;
                while (end < strs.length && strs[end] != 0) end++;
                out.putIfAbsent(new String(strs, nameOff, end - nameOff, StandardCharsets.UTF_8),
                        new long[] {value, size});
            }
        }
        return out;
    }

    /** Virtual address → file offset through the allocated section holding it. */
    static long fileOffset(ElfFile elf, long address) {
        for (ElfSection s : elf.sections()) {
            if ((s.flags() & ElfSection.SHF_ALLOC) == 0 || s.isNoBits() || s.address() == 0) continue;
            if (address >= s.address() && address < s.address() + s.size()) {
                return address - s.address() + s.offset();
            }
        }
        throw new IllegalArgumentException("address 0x" + Long.toHexString(address)
                + " is in no allocated section of the file");
    }
}
