package io.bpf4j.core.link;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Program;
import io.bpf4j.core.elf.ElfFile;
import io.bpf4j.core.elf.ElfNote;
import io.bpf4j.core.elf.ElfSection;
import io.bpf4j.core.kernel.Fd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * User statically-defined tracing: the probes SystemTap's {@code <sys/sdt.h>} (DTRACE_PROBEn, STAP_PROBEn) compiles
 * into a binary as {@code .note.stapsdt} ELF notes, found with {@link #probes(Path)} and attached as uprobes at their
 * file offsets with {@link #attach}.
 * <p>
 * Addresses are adjusted for prelinking as the SystemTap spec says: when the file has a {@code .stapsdt.base}
 * section, {@code pc += address(.stapsdt.base) - note.base} (the semaphore likewise). Probes with a semaphore (a
 * 2-byte counter the program checks before computing the arguments, e.g. HotSpot's DTrace probes) are attached with
 * the semaphore's file offset as the uprobe's {@code ref_ctr_offset}: the kernel increments the counter in every
 * process that maps the file (or the one {@code pid}) while the probe is attached, and decrements it on detach — no
 * writing into /proc/PID/mem is needed (Linux 4.20+).
 * <p>
 * Programs written for libbpf's {@code <bpf/usdt.bpf.h>} ({@code SEC("usdt/…")}, {@code BPF_USDT(…)},
 * {@code bpf_usdt_arg()}) read their arguments through the maps {@code __bpf_usdt_specs} (spec id → struct
 * __bpf_usdt_spec) and {@code __bpf_usdt_ip_to_spec_id}, with the spec id as the link's BPF cookie:
 * {@link #attach(BpfObject, Program, Path, String, String, int)} fills them in the same way (x86_64: constant,
 * register and register-dereference arguments), so such programs work unchanged.
 */
public final class Usdt {
    /** NT_STAPSDT. */
    private static final int NT_STAPSDT = 3;
    private static final int MAX_ARGS = 12;
    private static final int ARG_SPEC_SIZE = 16;
    private static final int SPEC_SIZE = MAX_ARGS * ARG_SPEC_SIZE + 16;
    /** Next free spec id per __bpf_usdt_specs map. */
    private static final Map<BpfMap, int[]> NEXT_SPEC = new WeakHashMap<>();

    private Usdt() {
    }

    /** How a probe argument is found. */
    public enum Kind {
        /** An immediate ({@code $42}). */
        CONST,
        /** A register ({@code %edi}). */
        REGISTER,
        /** Memory at a register plus an offset ({@code -16(%rbp)}). */
        REGISTER_DEREF,
        /**
         * Memory at a base register plus an index register times a scale plus an offset
         * ({@code -88(%rsp,%rax,8)}).
         */
        INDEXED_DEREF,
        /** Something this parser does not model (e.g. {@code sym(%rip)}, no base register). */
        UNSUPPORTED
    }

    /**
     * One argument of a probe, as in {@code -4@%edi}: {@code size} bytes (1, 2, 4 or 8), {@code signed} when
     * written with a minus sign; for {@link Kind#REGISTER}, {@link Kind#REGISTER_DEREF} and
     * {@link Kind#INDEXED_DEREF} the 64-bit (base) register name ({@code rdi}) and its offset in x86_64
     * {@code struct pt_regs}; {@code value} the constant or the dereference offset; for {@link Kind#INDEXED_DEREF}
     * also the index register, its offset in {@code struct pt_regs} and the scale (1, 2, 4 or 8; otherwise
     * {@code null}, -1 and 0).
     */
    public record Argument(String spec, int size, boolean signed, Kind kind, String register, int ptRegsOffset,
                           long value, String indexRegister, int indexPtRegsOffset, int scale) {
        Argument(String spec, int size, boolean signed, Kind kind, String register, int ptRegsOffset, long value) {
            this(spec, size, signed, kind, register, ptRegsOffset, value, null, -1, 0);
        }
    }

    /**
     * One probe site. {@code pc}, {@code base}, {@code semaphore} are the note's values (pc already adjusted for
     * prelinking); {@code fileOffset} and {@code semaphoreOffset} (0 when there is no semaphore) are where they are
     * in the file, what a uprobe takes.
     */
    public record Probe(String provider, String name, long pc, long base, long semaphore, String arguments,
                        long fileOffset, long semaphoreOffset, List<Argument> args) {
        @Override
        public String toString() {
            return provider + ":" + name + " @0x" + Long.toHexString(fileOffset)
                    + (semaphoreOffset == 0 ? "" : " sema@0x" + Long.toHexString(semaphoreOffset))
                    + " [" + arguments + "]";
        }
    }

    /**
     * The probes of the files read last, by identity (device and inode, size, modification time): a tool that
     * attaches a dozen probes to each of several JVMs reads the one libjvm.so (tens of MB) once.
     */
    private static final Map<List<Object>, List<Probe>> READ = Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<List<Object>, List<Probe>> eldest) {
                    return size() > 16;
                }
            });

    /** The USDT probes of {@code binary} (a path or library name, see {@link Uprobe#resolve}), in note order. */
    public static List<Probe> probes(Path binary) {
        Path file = Uprobe.resolve(binary.toString());
        List<Object> identity;
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            identity = Arrays.asList(a.fileKey(), a.size(), a.lastModifiedTime(), file);
        } catch (IOException e) {
            identity = null; // ElfFile.read says why it cannot be read
        }
        List<Probe> cached = identity == null ? null : READ.get(identity);
        if (cached != null) return cached;
        List<Probe> probes = read(file);
        if (identity != null) READ.put(identity, probes);
        return probes;
    }

    private static List<Probe> read(Path file) {
        ElfFile elf = ElfFile.read(file);
        Optional<ElfSection> notes = elf.section(".note.stapsdt");
        if (notes.isEmpty()) return List.of();
        Optional<ElfSection> baseSection = elf.section(".stapsdt.base");
        List<Probe> out = new ArrayList<>();
        for (ElfNote n : elf.notes(notes.get())) {
            if (n.type() != NT_STAPSDT || !n.name().equals("stapsdt")) continue;
            ByteBuffer d = ByteBuffer.wrap(n.descriptor()).order(ByteOrder.LITTLE_ENDIAN);
            long pc = d.getLong(0), base = d.getLong(8), sema = d.getLong(16);
            String[] strings = strings(n.descriptor(), 24, 3);
            if (baseSection.isPresent() && base != 0) {
                long delta = baseSection.get().address() - base;
                pc += delta;
                if (sema != 0) sema += delta;
            }
            long fileOffset = Uprobe.fileOffset(elf, pc);
            long semaOffset = sema == 0 ? 0 : Uprobe.fileOffset(elf, sema);
            out.add(new Probe(strings[0], strings[1], pc, base, sema, strings[2], fileOffset, semaOffset,
                    parseArguments(strings[2])));
        }
        return List.copyOf(out);
    }

    /**
     * The probes named {@code provider:name}.
     *
     * @throws IllegalArgumentException when there is none (the message lists close names)
     */
    public static List<Probe> find(Path binary, String provider, String name) {
        List<Probe> all = probes(binary);
        List<Probe> found = all.stream().filter(p -> p.provider().equals(provider) && p.name().equals(name)).toList();
        if (found.isEmpty()) {
            List<String> names = all.stream().map(p -> p.provider() + ":" + p.name()).distinct().toList();
            List<String> near = Tracepoint.closest(names, provider + ":" + name);
            throw new IllegalArgumentException("no USDT probe " + provider + ":" + name + " in " + binary + " ("
                    + names.size() + " probes" + (names.isEmpty() ? ": the file has no .note.stapsdt section" : "")
                    + ")" + (near.isEmpty() ? "" : "; close matches: " + String.join(", ", near)));
        }
        return found;
    }

    /**
     * Attaches {@code program} to every site of probe {@code provider:name} (a probe may be inlined at several
     * places) for process {@code pid} (-1: every process). The program reads the arguments itself from
     * {@code struct pt_regs} ({@link Probe#args()} says where); the BPF cookie is the site's index in
     * {@link #find}. One {@link Link} holds all sites.
     */
    public static Link attach(Program program, Path binary, String provider, String name, int pid) {
        Path file = Uprobe.resolve(binary.toString());
        List<Probe> sites = find(file, provider, name);
        long[] cookies = new long[sites.size()];
        for (int i = 0; i < cookies.length; i++) cookies[i] = i;
        return attachSites(program, file, provider, name, pid, sites, cookies);
    }

    /**
     * Attaches a program written against libbpf's {@code <bpf/usdt.bpf.h>} (its object {@code object} holds the
     * {@code __bpf_usdt_specs} and {@code __bpf_usdt_ip_to_spec_id} maps): each site's argument spec is written
     * into {@code __bpf_usdt_specs} and its id set as the link's cookie, so {@code bpf_usdt_arg()} and
     * {@code BPF_USDT(...)} work as under libbpf.
     *
     * @throws IllegalArgumentException when an argument is of a kind not supported (e.g. RIP-relative)
     */
    public static Link attach(BpfObject object, Program program, Path binary, String provider, String name,
                              int pid) {
        BpfMap specs = object.maps().get("__bpf_usdt_specs");
        if (specs == null) {
            throw new IllegalArgumentException("the object has no __bpf_usdt_specs map: was the program built with "
                    + "<bpf/usdt.bpf.h>? (use attach(Program, …) for programs that read pt_regs themselves)");
        }
        if (specs.valueSize() < SPEC_SIZE) {
            throw new IllegalArgumentException("__bpf_usdt_specs has " + specs.valueSize() + "-byte values, but "
                    + "struct __bpf_usdt_spec of usdt.bpf.h (x86_64) is " + SPEC_SIZE + " bytes");
        }
        BpfMap ipToSpec = object.maps().get("__bpf_usdt_ip_to_spec_id");
        Path file = Uprobe.resolve(binary.toString());
        List<Probe> sites = find(file, provider, name);
        long[] cookies = new long[sites.size()];
        for (int i = 0; i < sites.size(); i++) {
            Probe p = sites.get(i);
            int id = nextSpecId(specs);
            specs.update(intKey(id), encodeSpec(p, specs.valueSize(), 0));
            if (ipToSpec != null && ipToSpec.keySize() == 8 && ipToSpec.valueSize() == 4) {
                // Only used by usdt.bpf.h on kernels without BPF cookies; keyed by the absolute IP, which differs
                // per process: record the link-time address (right for non-PIE executables).
                ipToSpec.update(longKey(p.pc()), intKey(id));
            }
            cookies[i] = id;
        }
        return attachSites(program, file, provider, name, pid, sites, cookies);
    }

    /**
     * As {@link #attach(BpfObject, Program, Path, String, String, int)} with the target written as in libbpf's
     * {@code SEC("usdt/BINARY:PROVIDER:NAME")}: {@code binary:provider:name}.
     */
    public static Link attach(BpfObject object, Program program, String target, int pid) {
        int last = target.lastIndexOf(':');
        int mid = last <= 0 ? -1 : target.lastIndexOf(':', last - 1);
        if (mid <= 0 || last == target.length() - 1) {
            throw new IllegalArgumentException("USDT target '" + target + "' is not binary:provider:name");
        }
        return attach(object, program, Path.of(target.substring(0, mid)), target.substring(mid + 1, last),
                target.substring(last + 1), pid);
    }

    private static Link attachSites(Program program, Path file, String provider, String name, int pid,
                                    List<Probe> sites, long[] cookies) {
        String what = "usdt '" + program.name() + "' on " + file + ":" + provider + ":" + name + " (" + sites.size()
                + " site" + (sites.size() == 1 ? "" : "s") + (pid < 0 ? "" : ", pid " + pid) + ")";
        List<Fd> linkFds = new ArrayList<>(), perfs = new ArrayList<>();
        try {
            for (int i = 0; i < sites.size(); i++) {
                Probe p = sites.get(i);
                Fd perf = Uprobe.open(file, p.fileOffset(), false, pid, p.semaphoreOffset(), what);
                perfs.add(perf);
                linkFds.add(PerfLinks.linkFd(program, perf, cookies[i], what));
            }
        } catch (RuntimeException e) {
            for (Fd f : linkFds) f.close();
            for (Fd f : perfs) f.close();
            throw e;
        }
        List<Fd> owned = new ArrayList<>(linkFds.subList(1, linkFds.size()));
        owned.addAll(perfs);
        return new Link(linkFds.getFirst(), true, what, owned);
    }

    private static synchronized int nextSpecId(BpfMap specs) {
        int[] next = NEXT_SPEC.computeIfAbsent(specs, k -> new int[1]);
        if (next[0] >= specs.maxEntries()) {
            throw new IllegalStateException("__bpf_usdt_specs is full (" + specs.maxEntries() + " specs); define "
                    + "BPF_USDT_MAX_SPEC_CNT larger");
        }
        return next[0]++;
    }

    /** struct __bpf_usdt_spec (x86_64 layout of usdt.bpf.h: 12 × 16-byte arg specs, u64 cookie, short count). */
    static byte[] encodeSpec(Probe p, int valueSize, long usdtCookie) {
        if (p.args().size() > MAX_ARGS) {
            throw new IllegalArgumentException("probe " + p.provider() + ":" + p.name() + " has " + p.args().size()
                    + " arguments; usdt.bpf.h supports " + MAX_ARGS);
        }
        ByteBuffer b = ByteBuffer.allocate(Math.max(valueSize, SPEC_SIZE)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < p.args().size(); i++) {
            Argument a = p.args().get(i);
            int at = i * ARG_SPEC_SIZE;
            int type = switch (a.kind()) {
                case CONST -> 0;
                case REGISTER -> 1;
                case REGISTER_DEREF -> 2;
                case INDEXED_DEREF, UNSUPPORTED -> throw new IllegalArgumentException("probe " + p.provider() + ":" + p.name()
                        + " argument " + (i + 1) + " '" + a.spec() + "' is of a kind bpf4j cannot pass to "
                        + "usdt.bpf.h (only constants, registers and register+offset dereferences)");
            };
            b.putLong(at, a.kind() == Kind.REGISTER ? 0 : a.value());
            b.putInt(at + 8, type);
            b.putShort(at + 12, (short) (a.kind() == Kind.CONST ? 0 : a.ptRegsOffset()));
            b.put(at + 14, (byte) (a.signed() ? 1 : 0));
            b.put(at + 15, (byte) (64 - a.size() * 8));
        }
        b.putLong(MAX_ARGS * ARG_SPEC_SIZE, usdtCookie);
        b.putShort(MAX_ARGS * ARG_SPEC_SIZE + 8, (short) p.args().size());
        byte[] out = new byte[valueSize];
        b.get(0, out, 0, Math.min(valueSize, b.capacity()));
        return out;
    }

    private static final Pattern ARG = Pattern.compile("(-?\\d+)@(?:\\$(-?(?:0x[0-9a-fA-F]+|\\d+))|%(\\w+)"
            + "|(-?(?:0x[0-9a-fA-F]+|\\d+))?\\(%(\\w+)(?:,%(\\w+)(?:,([1248]))?)?\\)|(.*))");

    /** Parses an argument string such as {@code "-4@%edi 8@-16(%rbp) 4@$42"} (x86_64 AT&T syntax). */
    public static List<Argument> parseArguments(String spec) {
        List<Argument> out = new ArrayList<>();
        if (spec.isBlank()) return out;
        for (String s : spec.strip().split("\\s+")) {
            Matcher m = ARG.matcher(s);
            if (!m.matches()) {
                out.add(new Argument(s, 8, false, Kind.UNSUPPORTED, null, -1, 0));
                continue;
            }
            int size = Integer.parseInt(m.group(1));
            boolean signed = size < 0;
            size = Math.abs(size);
            if (m.group(2) != null) {
                out.add(new Argument(s, size, signed, Kind.CONST, null, -1, number(m.group(2))));
            } else if (m.group(3) != null) {
                String reg = register64(m.group(3));
                int off = ptRegsOffset(reg);
                out.add(new Argument(s, size, signed, off < 0 ? Kind.UNSUPPORTED : Kind.REGISTER, reg, off, 0));
            } else if (m.group(5) != null) {
                String reg = register64(m.group(5));
                int off = ptRegsOffset(reg);
                long disp = m.group(4) == null ? 0 : number(m.group(4));
                if (m.group(6) == null) {
                    out.add(new Argument(s, size, signed, off < 0 ? Kind.UNSUPPORTED : Kind.REGISTER_DEREF, reg,
                            off, disp));
                } else {
                    String index = register64(m.group(6));
                    int indexOff = ptRegsOffset(index);
                    int scale = m.group(7) == null ? 1 : Integer.parseInt(m.group(7));
                    out.add(new Argument(s, size, signed, off < 0 || indexOff < 0 ? Kind.UNSUPPORTED
                            : Kind.INDEXED_DEREF, reg, off, disp, index, indexOff, scale));
                }
            } else {
                out.add(new Argument(s, size, signed, Kind.UNSUPPORTED, null, -1, 0));
            }
        }
        return out;
    }

    private static long number(String s) {
        boolean neg = s.startsWith("-");
        String t = neg ? s.substring(1) : s;
        long v = t.startsWith("0x") ? Long.parseUnsignedLong(t.substring(2), 16) : Long.parseLong(t);
        return neg ? -v : v;
    }

    /** eax, ax, al, r8d, r8w, r8b … → rax, r8. */
    static String register64(String r) {
        return switch (r) {
            case "rax", "eax", "ax", "al", "ah" -> "rax";
            case "rbx", "ebx", "bx", "bl", "bh" -> "rbx";
            case "rcx", "ecx", "cx", "cl", "ch" -> "rcx";
            case "rdx", "edx", "dx", "dl", "dh" -> "rdx";
            case "rsi", "esi", "si", "sil" -> "rsi";
            case "rdi", "edi", "di", "dil" -> "rdi";
            case "rbp", "ebp", "bp", "bpl" -> "rbp";
            case "rsp", "esp", "sp", "spl" -> "rsp";
            case "rip" -> "rip";
            default -> r.matches("r(8|9|1[0-5])[dwb]?") ? r.replaceAll("[dwb]$", "") : r;
        };
    }

    /**
     * The offset of 64-bit register {@code reg} ({@code rdi}, {@code rax}, {@code r8}…) in x86_64
     * {@code struct pt_regs}, where a BPF program attached to a uprobe reads it; -1 when it has none.
     */
    public static int ptRegsOffset(String reg) {
        return switch (reg) {
            case "r15" -> 0;
            case "r14" -> 8;
            case "r13" -> 16;
            case "r12" -> 24;
            case "rbp" -> 32;
            case "rbx" -> 40;
            case "r11" -> 48;
            case "r10" -> 56;
            case "r9" -> 64;
            case "r8" -> 72;
            case "rax" -> 80;
            case "rcx" -> 88;
            case "rdx" -> 96;
            case "rsi" -> 104;
            case "rdi" -> 112;
            case "rip" -> 128;
            case "rsp" -> 152;
            default -> -1;
        };
    }

    private static String[] strings(byte[] data, int from, int count) {
        String[] out = new String[count];
        int at = from;
        for (int i = 0; i < count; i++) {
            int end = at;
            while (end < data.length && data[end] != 0) end++;
            out[i] = at <= data.length ? new String(data, at, Math.max(0, end - at), StandardCharsets.UTF_8) : "";
            at = end + 1;
        }
        return out;
    }

    private static byte[] intKey(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, v).array();
    }

    private static byte[] longKey(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(0, v).array();
    }
}
