package io.bpf4j.core;

import io.bpf4j.core.asm.HelperCall;
import io.bpf4j.core.asm.Instruction;
import io.bpf4j.core.asm.KfuncCall;
import io.bpf4j.core.asm.LoadImm64;
import io.bpf4j.core.asm.LoadKernelVariable;
import io.bpf4j.core.asm.LoadMapValue;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.SubprogramCall;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfException;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.format.IoErrors;
import io.bpf4j.core.kernel.KernelConfig;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectExtern;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Resolves a BPF object's externs the way libbpf does, so that objects written for libbpf load unchanged.
 *
 * <ul>
 *   <li>{@code __kconfig} variables live in a {@code .kconfig} map that the loader creates (a one-element array,
 *       {@code BPF_F_RDONLY_PROG}, frozen so that the verifier treats its values as constants and prunes dead
 *       branches). Its layout is libbpf's: the variables sorted by descending alignment, then ascending size, then
 *       name. {@code CONFIG_*} values come from {@code /proc/config.gz} (else {@code /boot/config-RELEASE}):
 *       {@code y}/{@code n}/{@code m} become 1/0/2 for {@code enum libbpf_tristate}, 1/0 for {@code bool}
 *       (the character itself for {@code char}), numbers are range-checked against the variable's size,
 *       quoted strings go into {@code char[]}. {@code LINUX_KERNEL_VERSION}, {@code LINUX_HAS_BPF_COOKIE} and
 *       {@code LINUX_HAS_SYSCALL_WRAPPER} are computed. A value the configuration lacks is an error naming it,
 *       unless the extern is {@code __weak}, which reads 0.</li>
 *   <li>{@code __ksym} variables with a type resolve to their kernel BTF {@code VAR} ({@code ld_imm64} with
 *       {@code BPF_PSEUDO_BTF_ID}: the verifier knows the type, e.g. for {@code bpf_this_cpu_ptr}); typeless ones
 *       ({@code extern const void sym __ksym}) to their address in {@code /proc/kallsyms}.</li>
 *   <li>kfunc calls ({@code extern … f(…) __ksym}, called) become {@code call} with {@code BPF_PSEUDO_KFUNC_CALL}
 *       and the function's kernel BTF id; taking a kfunc's address ({@code bpf_ksym_exists}) loads its
 *       {@code FUNC} id.</li>
 *   <li>A missing {@code __weak} ksym loads 0; a missing weak kfunc's call gets id 0, which the verifier accepts
 *       only when it proves the call dead (libbpf's convention).</li>
 * </ul>
 */
final class Externs {
    /** The name of the map holding {@code __kconfig} values, in {@link BpfObject#maps()}. */
    static final String KCONFIG_MAP = ".kconfig";

    private static final Path KALLSYMS = Path.of("/proc/kallsyms");

    /** What a {@code __kconfig} variable's C type is, as libbpf classifies it. */
    enum KconfigType { BOOL, CHAR, TRISTATE, INT, CHAR_ARRAY }

    /**
     * One {@code __kconfig} variable's place in the {@code .kconfig} map.
     *
     * @param name   the extern's name
     * @param offset its byte offset in the map's value
     * @param size   its size in bytes
     * @param align  its alignment
     * @param type   how its value is written
     * @param signed for {@link KconfigType#INT}: whether the integer is signed
     * @param weak   whether a missing value reads 0 rather than failing
     */
    record KconfigVariable(String name, int offset, int size, int align, KconfigType type, boolean signed,
                           boolean weak) {
    }

    private Externs() {
    }

    // -----------------------------------------------------------------------------------------------------------
    // .kconfig

    /**
     * The {@code .kconfig} layout of {@code spec}'s {@code __kconfig} externs (empty when it has none): the offsets
     * the loader patches into the programs, and what a BTF loader should write into the {@code .kconfig}
     * {@code DATASEC} (clang leaves its size and offsets 0, which the kernel refuses).
     *
     * @throws BpfException when an extern has no BTF or a type libbpf would not accept either
     */
    static List<KconfigVariable> kconfigLayout(ObjectSpec spec) {
        List<ObjectExtern> externs = spec.externs().stream().filter(e -> e.kind() == ObjectExtern.Kind.KCONFIG)
                .toList();
        if (externs.isEmpty()) return List.of();
        Btf btf = objectBtf(spec, externs.getFirst().name());
        Map<String, Integer> vars = datasecVars(btf, ".kconfig");
        record Unplaced(ObjectExtern e, int size, int align, KconfigType type, boolean signed) {
        }
        List<Unplaced> unplaced = new ArrayList<>();
        for (ObjectExtern e : externs) {
            Integer typeId = vars.get(e.name());
            if (typeId == null) {
                throw new BpfException("BPF_PROG_LOAD", 0, "extern '" + e.name() + "' (__kconfig) is not in the "
                        + "object's .kconfig BTF section; compile with clang -g so that the object carries BTF");
            }
            int resolved = btf.resolve(typeId);
            BtfType t = btf.type(resolved);
            KconfigType kt = kconfigType(btf, t);
            if (kt == null) {
                throw new BpfException("BPF_PROG_LOAD", 0, "extern '" + e.name() + "' (__kconfig) has C type "
                        + t.kind() + " '" + t.name() + "', which is not a kconfig type: use bool, char, "
                        + "an integer of 1, 2, 4 or 8 bytes, enum libbpf_tristate or a char array");
            }
            boolean signed = t instanceof BtfType.Int i && i.signed();
            unplaced.add(new Unplaced(e, (int) btf.sizeOf(resolved), btf.alignOf(resolved), kt, signed));
        }
        unplaced.sort(Comparator.comparingInt((Unplaced u) -> -u.align()).thenComparingInt(Unplaced::size)
                .thenComparing(u -> u.e().name()));
        List<KconfigVariable> out = new ArrayList<>();
        int off = 0;
        for (Unplaced u : unplaced) {
            off = (off + u.align() - 1) / u.align() * u.align();
            out.add(new KconfigVariable(u.e().name(), off, u.size(), u.align(), u.type(), u.signed(), u.e().weak()));
            off += u.size();
        }
        return out;
    }

    /** The size of the {@code .kconfig} value: the end of its last variable. */
    static int kconfigSize(List<KconfigVariable> layout) {
        return layout.isEmpty() ? 0 : layout.getLast().offset() + layout.getLast().size();
    }

    private static KconfigType kconfigType(Btf btf, BtfType t) {
        return switch (t) {
            case BtfType.Int i when (i.encoding() & BtfType.Int.BOOL) != 0 -> i.size() == 1 ? KconfigType.BOOL : null;
            case BtfType.Int i when (i.encoding() & BtfType.Int.CHAR) != 0 || i.name().equals("char") ->
                    i.size() == 1 ? KconfigType.CHAR : null;
            case BtfType.Int i -> Integer.bitCount(i.size()) == 1 && i.size() <= 8 ? KconfigType.INT : null;
            case BtfType.Enum e -> e.size() == 4 && e.name().equals("libbpf_tristate") ? KconfigType.TRISTATE : null;
            case BtfType.Array a -> kconfigType(btf, btf.resolveType(a.type())) == KconfigType.CHAR
                    ? KconfigType.CHAR_ARRAY : null;
            default -> null;
        };
    }

    /**
     * Creates and fills the {@code .kconfig} map of {@code spec}, frozen; empty when the object has no
     * {@code __kconfig} externs.
     *
     * @throws BpfException when a non-weak value is missing or does not fit its variable (the message names it)
     */
    static Optional<BpfMap> createKconfigMap(ObjectSpec spec) {
        List<KconfigVariable> layout = kconfigLayout(spec);
        if (layout.isEmpty()) return Optional.empty();
        byte[] value = kconfigValue(layout, KernelFacts.INSTANCE);
        BpfMap map = BpfMap.create(new MapSpec(MapType.ARRAY, KCONFIG_MAP, 4, value.length, 1,
                MapSpec.F_RDONLY_PROG | MapSpec.F_MMAPABLE, Optional.empty(), -1, 0, -1, 0, 0, 0));
        try {
            map.update(new byte[4], value);
            map.freeze();
            return Optional.of(map);
        } catch (RuntimeException e) {
            map.close();
            throw e;
        }
    }

    /** Where kconfig values come from: the running kernel, or a test's stand-in. */
    interface KconfigSource {
        /** The value of option {@code name} ({@code CONFIG_…}) as the config file writes it, or null. */
        String option(String name);

        /** Why options are missing when {@link #option} returns null, e.g. "not set in /proc/config.gz". */
        String missing(String name);

        /** The value of libbpf's virtual {@code LINUX_*} extern {@code name}, or null when unknown. */
        Long virtual(String name);
    }

    /** The bytes of the {@code .kconfig} value for {@code layout}. */
    static byte[] kconfigValue(List<KconfigVariable> layout, KconfigSource source) {
        ByteBuffer value = ByteBuffer.allocate(kconfigSize(layout)).order(ByteOrder.nativeOrder());
        for (KconfigVariable v : layout) {
            String what = "extern '" + v.name() + "' (__kconfig)";
            if (v.name().startsWith("LINUX_")) {
                Long n = source.virtual(v.name());
                if (n == null) {
                    throw new BpfException("BPF_PROG_LOAD", 0, what + " is not a virtual extern bpf4j knows "
                            + "(LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE, LINUX_HAS_SYSCALL_WRAPPER)");
                }
                writeNumber(value, v, BigInteger.valueOf(n), what);
                continue;
            }
            String text = v.name().startsWith("CONFIG_") ? source.option(v.name()) : null;
            if (text == null) {
                if (v.weak()) continue; // 0
                throw new BpfException("BPF_PROG_LOAD", 0, what + ": " + (v.name().startsWith("CONFIG_")
                        ? source.missing(v.name()) + "; declare it __weak to read 0 when it is missing"
                        : "kconfig externs must be named CONFIG_* or LINUX_*"));
            }
            writeValue(value, v, text, what);
        }
        return value.array();
    }

    private static void writeValue(ByteBuffer value, KconfigVariable v, String text, String what) {
        if (text.equals("y") || text.equals("n") || text.equals("m")) {
            char c = text.charAt(0);
            byte b = switch (v.type()) {
                case TRISTATE -> (byte) (c == 'y' ? 1 : c == 'm' ? 2 : 0);
                case BOOL -> {
                    if (c == 'm') throw new BpfException("BPF_PROG_LOAD", 0, what + " is a bool but the option is "
                            + "'m' (a module): declare it enum libbpf_tristate");
                    yield (byte) (c == 'y' ? 1 : 0);
                }
                case CHAR -> (byte) c;
                default -> throw new BpfException("BPF_PROG_LOAD", 0, what + " is " + v.type().name()
                        .toLowerCase() + " but the option's value is '" + c + "': declare it bool, char or enum "
                        + "libbpf_tristate");
            };
            if (v.type() == KconfigType.TRISTATE) value.putInt(v.offset(), b);
            else value.put(v.offset(), b);
        } else if (text.startsWith("\"")) {
            if (v.type() != KconfigType.CHAR_ARRAY) {
                throw new BpfException("BPF_PROG_LOAD", 0, what + " is " + v.type().name().toLowerCase()
                        + " but the option is the string " + text + ": declare it a char array");
            }
            String s = text.length() >= 2 && text.endsWith("\"") ? text.substring(1, text.length() - 1) : text.substring(1);
            byte[] bytes = s.replace("\\\"", "\"").replace("\\\\", "\\").getBytes(StandardCharsets.UTF_8);
            int n = Math.min(bytes.length, v.size() - 1); // truncated like libbpf, always NUL-terminated
            value.put(v.offset(), bytes, 0, n);
        } else {
            BigInteger n;
            try {
                n = parseNumber(text);
            } catch (NumberFormatException e) {
                throw new BpfException("BPF_PROG_LOAD", 0, what + ": the option's value '" + text
                        + "' is neither y/n/m, a number nor a quoted string");
            }
            writeNumber(value, v, n, what);
        }
    }

    private static BigInteger parseNumber(String text) {
        String t = text.strip();
        boolean negative = t.startsWith("-");
        if (negative) t = t.substring(1);
        BigInteger n;
        if (t.startsWith("0x") || t.startsWith("0X")) n = new BigInteger(t.substring(2), 16);
        else if (t.length() > 1 && t.startsWith("0")) n = new BigInteger(t.substring(1), 8);
        else n = new BigInteger(t);
        return negative ? n.negate() : n;
    }

    private static void writeNumber(ByteBuffer value, KconfigVariable v, BigInteger n, String what) {
        int bits = v.size() * 8;
        switch (v.type()) {
            case BOOL -> {
                if (n.signum() < 0 || n.compareTo(BigInteger.ONE) > 0) {
                    throw new BpfException("BPF_PROG_LOAD", 0, what + " is a bool but the value is " + n);
                }
            }
            case INT, CHAR -> {
                boolean fits = v.signed()
                        ? n.bitLength() < bits
                        : n.signum() >= 0 ? n.bitLength() <= bits : n.bitLength() < bits; // -1 as all ones, like strtoull
                if (!fits) {
                    throw new BpfException("BPF_PROG_LOAD", 0, what + " is " + v.size() + " byte"
                            + (v.size() == 1 ? "" : "s") + (v.signed() ? " signed" : " unsigned")
                            + " but the value " + n + " does not fit");
                }
            }
            default -> throw new BpfException("BPF_PROG_LOAD", 0, what + " is " + v.type().name().toLowerCase()
                    + " but the value is the number " + n + ": declare it an integer");
        }
        long l = n.longValue();
        switch (v.size()) {
            case 1 -> value.put(v.offset(), (byte) l);
            case 2 -> value.putShort(v.offset(), (short) l);
            case 4 -> value.putInt(v.offset(), (int) l);
            default -> value.putLong(v.offset(), l);
        }
    }

    /** The running kernel's configuration and libbpf's virtual values; read on first use. */
    static final class KernelFacts implements KconfigSource {
        static final KernelFacts INSTANCE = new KernelFacts();

        @Override
        public String option(String name) {
            return KernelConfig.current().value(name);
        }

        @Override
        public String missing(String name) {
            KernelConfig c = KernelConfig.current();
            if (c.source().isEmpty()) {
                return "the kernel configuration is not available (no " + KernelConfig.CONFIG_GZ + ", no /boot/config-"
                        + release() + ") to read " + name + " from";
            }
            String source = c.source().get().toString();
            return c.listedUnset(name) ? name + " is not set in " + source : name + " is not in " + source;
        }

        @Override
        public Long virtual(String name) {
            return switch (name) {
                case "LINUX_KERNEL_VERSION" -> (long) kernelVersion(release());
                case "LINUX_HAS_BPF_COOKIE" ->
                        Probes.attachCookie().available() ? 1L : 0L;
                case "LINUX_HAS_SYSCALL_WRAPPER" -> kallsyms("__x64_sys_bpf").isPresent()
                        || kallsyms("__arm64_sys_bpf").isPresent() || kallsyms("__s390x_sys_bpf").isPresent() ? 1L : 0L;
                default -> null;
            };
        }
    }

    /** The running kernel's release, e.g. {@code 6.18.44-fc-v669}. */
    static String release() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the kernel release: " + IoErrors.reason(e), e);
        }
    }

    /**
     * LINUX_VERSION_CODE for {@code release} as libbpf computes LINUX_KERNEL_VERSION: {@code KERNEL_VERSION(a, b,
     * c)} of its leading {@code a.b.c}, the patch level capped at 255; 0 when it does not start so.
     */
    static int kernelVersion(String release) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?").matcher(release);
        if (!m.find()) return 0;
        int patch = m.group(3) == null ? 0 : Math.min(255, Integer.parseInt(m.group(3)));
        return (Integer.parseInt(m.group(1)) << 16) + (Integer.parseInt(m.group(2)) << 8) + patch;
    }

    // -----------------------------------------------------------------------------------------------------------
    // .ksyms and patching

    /**
     * {@code insns} (the program's linked instructions, map references already patched) with every extern use
     * of {@code p} resolved: kconfig loads point into {@code maps}' {@code .kconfig} map, ksyms and kfunc calls
     * carry kernel BTF ids or addresses.
     *
     * @throws BpfException naming the extern when it cannot be resolved
     */
    static List<Instruction> patch(ObjectSpec spec, ObjectProgram p, List<Instruction> insns,
                                   Map<String, BpfMap> maps) {
        if (p.externs().isEmpty()) return insns;
        Map<Integer, ObjectProgram.ExternRelocation> bySlot = new HashMap<>();
        for (ObjectProgram.ExternRelocation r : p.externs()) bySlot.put(r.slot(), r);
        Map<String, ObjectExtern> externs = new HashMap<>();
        for (ObjectExtern e : spec.externs()) externs.put(e.name(), e);
        Map<String, Integer> kconfigOffsets = new HashMap<>();
        for (KconfigVariable v : kconfigLayout(spec)) kconfigOffsets.put(v.name(), v.offset());
        Btf[] btf = new Btf[1]; // the object's BTF, parsed on first need
        Map<String, Resolved> resolved = new HashMap<>();

        List<Instruction> out = new ArrayList<>(insns.size());
        int slot = 0;
        for (Instruction insn : insns) {
            ObjectProgram.ExternRelocation r = bySlot.get(slot);
            slot += insn.slots();
            if (r == null) {
                out.add(insn);
                continue;
            }
            String what = "program '" + p.name() + "': extern '" + r.name() + "'";
            ObjectExtern e = externs.get(r.name());
            if (e == null) throw new IllegalStateException(what + " is used but not among the object's externs");
            if (r.call()) {
                Resolved k = resolved.computeIfAbsent(e.name(), n -> resolveKsym(spec, e, btf, what));
                if (!(insn instanceof SubprogramCall || insn instanceof HelperCall || insn instanceof KfuncCall)) {
                    throw new IllegalStateException(what + " should be called at slot " + r.slot() + " but it holds " + insn);
                }
                if (k.module() != null) {
                    throw new BpfException("BPF_PROG_LOAD", 0, what + " is a kfunc of module '" + k.module()
                            + "'; calling module kfuncs needs the program's fd_array, which bpf4j does not pass yet");
                }
                out.add(new KfuncCall(k.found() ? k.btfId() : 0, 0));
                continue;
            }
            if (!(insn instanceof LoadImm64 load)) {
                throw new IllegalStateException(what + " should be a 64-bit load at slot " + r.slot()
                        + " but it holds " + insn);
            }
            Register dst = load.dst();
            if (e.kind() == ObjectExtern.Kind.KCONFIG) {
                BpfMap kconfig = maps.get(KCONFIG_MAP);
                Integer off = kconfigOffsets.get(e.name());
                if (kconfig == null || off == null) {
                    throw new IllegalStateException(what + ": no " + KCONFIG_MAP + " map was created for it");
                }
                out.add(new LoadMapValue(dst, kconfig.fd(), off));
                continue;
            }
            Resolved k = resolved.computeIfAbsent(e.name(), n -> resolveKsym(spec, e, btf, what));
            if (!k.found()) out.add(new LoadImm64(dst, 0));
            else if (k.address() != null) out.add(new LoadImm64(dst, k.address()));
            else out.add(new LoadKernelVariable(dst, k.btfId(), k.objFd()));
        }
        return out;
    }

    /**
     * What a ksym resolved to: a kernel BTF id (and BTF object fd, 0 for vmlinux), an address, or nothing (weak
     * and missing).
     */
    private record Resolved(boolean found, int btfId, int objFd, String module, Long address) {
        static final Resolved MISSING = new Resolved(false, 0, 0, null, null);
    }

    private static Resolved resolveKsym(ObjectSpec spec, ObjectExtern e, Btf[] btf, String what) {
        if (btf[0] == null && spec.btf().length > 0) btf[0] = Btf.parse(spec.btf());
        // Which kind of ksym: the object's .ksyms DATASEC says (FUNC: kfunc; VAR of void: typeless)
        BtfKind kind;
        if (e.function()) {
            kind = BtfKind.FUNC;
        } else {
            Integer varType = btf[0] == null ? null : datasecVars(btf[0], ".ksyms").get(e.name());
            boolean typeless = varType == null || btf[0].resolveType(varType) instanceof BtfType.Void;
            if (typeless) {
                Optional<Long> addr = kallsyms(e.name());
                if (addr.isPresent()) return new Resolved(true, 0, 0, null, addr.get());
                if (e.weak()) return Resolved.MISSING;
                throw new BpfException("BPF_PROG_LOAD", 0, what + " (__ksym, typeless) is not in " + KALLSYMS
                        + "; is it a data symbol of a kernel without CONFIG_KALLSYMS_ALL? Declare it __weak to "
                        + "read 0 when it is missing");
            }
            kind = BtfKind.VAR;
        }
        Optional<KernelTypes.Found> found;
        try {
            found = KernelTypes.find(e.name(), kind, "");
        } catch (BtfException ex) {
            throw new BpfException("BPF_PROG_LOAD", 0, what + " (__ksym) needs the kernel's BTF: "
                    + ex.getMessage(), ex);
        }
        if (found.isEmpty()) {
            if (e.weak()) return Resolved.MISSING;
            throw new BpfException("BPF_PROG_LOAD", 0, what + " (__ksym " + (kind == BtfKind.FUNC ? "kfunc"
                    : "variable") + ") is not in the kernel's BTF (vmlinux or modules)"
                    + (kind == BtfKind.VAR ? " (kernel BTF has per-CPU variables only, unless pahole encoded "
                    + "all globals)" : "") + "; declare it __weak to tolerate its absence");
        }
        KernelTypes.Found f = found.get();
        if (kind == BtfKind.VAR && kallsyms(e.name()).isEmpty()) {
            // the verifier looks the address up with kallsyms_lookup_name(), which knows data symbols only with
            // CONFIG_KALLSYMS_ALL: it would refuse the program with ENOENT
            if (e.weak()) return Resolved.MISSING;
            throw new BpfException("BPF_PROG_LOAD", 0, what + " (__ksym variable) is in the kernel's BTF (" + f.where()
                    + ") but not in " + KALLSYMS + ", so the kernel cannot give its address: "
                    + (kallsymsHasData() ? "the symbol is not exported to kallsyms"
                    : "this kernel lists no data symbols there (CONFIG_KALLSYMS_ALL is not set)")
                    + "; declare it __weak to read NULL instead");
        }
        return new Resolved(true, f.id(), f.objFd(), f.module().isEmpty() ? null : f.module(), null);
    }

    /** The variables (and functions) of {@code btf}'s DATASEC {@code name}: name → VAR's (or FUNC's) type id. */
    private static Map<String, Integer> datasecVars(Btf btf, String name) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (BtfType t : btf.types()) {
            if (!(t instanceof BtfType.Datasec d) || !d.name().equals(name)) continue;
            for (BtfType.VarSecinfo v : d.vars()) {
                switch (btf.type(v.type())) {
                    case BtfType.Var var -> out.put(var.name(), var.type());
                    case BtfType.Func f -> out.put(f.name(), f.type());
                    default -> {
                    }
                }
            }
        }
        return out;
    }

    private static Btf objectBtf(ObjectSpec spec, String extern) {
        if (spec.btf().length == 0) {
            throw new BpfException("BPF_PROG_LOAD", 0, "extern '" + extern + "' needs the object's BTF to be "
                    + "resolved, and the object has none: compile with clang -g");
        }
        return Btf.parse(spec.btf());
    }

    // -----------------------------------------------------------------------------------------------------------
    // kallsyms

    private static volatile Map<String, Long> kallsyms;
    private static volatile long kallsymsRead;

    /**
     * The address of kernel symbol {@code name} in /proc/kallsyms (vmlinux first, then modules). Read once; read
     * again on a miss (a module may have been loaded), at most once a second.
     */
    static Optional<Long> kallsyms(String name) {
        Map<String, Long> syms = kallsyms;
        if (syms == null || (!syms.containsKey(name) && System.nanoTime() - kallsymsRead > 1_000_000_000L)) {
            kallsyms = syms = readKallsyms();
            kallsymsRead = System.nanoTime();
        }
        return Optional.ofNullable(syms.get(name));
    }

    /** Whether kallsyms lists per-CPU and other data symbols (CONFIG_KALLSYMS_ALL). */
    private static boolean kallsymsHasData() {
        return kallsyms("runqueues").isPresent() || kallsyms("jiffies_64").isPresent()
                || kallsyms("init_task").isPresent();
    }

    private static Map<String, Long> readKallsyms() {
        Map<String, Long> out = new HashMap<>(1 << 18);
        try {
            for (String line : Files.readAllLines(KALLSYMS)) {
                int s1 = line.indexOf(' ');
                int s2 = line.indexOf(' ', s1 + 1);
                if (s1 <= 0 || s2 <= 0) continue;
                int end = line.indexOf('\t', s2 + 1);
                String sym = end < 0 ? line.substring(s2 + 1) : line.substring(s2 + 1, end);
                out.putIfAbsent(sym, Long.parseUnsignedLong(line.substring(0, s1), 16));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + KALLSYMS + ": " + IoErrors.reason(e), e);
        }
        return out;
    }
}
