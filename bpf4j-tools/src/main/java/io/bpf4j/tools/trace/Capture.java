package io.bpf4j.tools.trace;

import io.bpf4j.core.Codec;
import io.bpf4j.core.Program;
import io.bpf4j.core.StructCodec;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.link.Tracepoint;
import io.bpf4j.core.link.Uprobe;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.output.EventType;
import io.bpf4j.tools.Aggregates;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SequenceLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * The capture side shared by {@code trace} and {@code argdist}: loads {@code trace.bpf.o}, writes each
 * attachment's configuration (which registers or memory make the arguments, which pointers to copy as strings,
 * how much of a tracepoint record to ship) under the attachment's BPF cookie, attaches, and turns each record into
 * a {@link Sample} whose names ({@code arg1}, {@code retval}, tracepoint fields, {@code $pid}…) read the record.
 */
final class Capture {
    /** enum arg_kind of trace.bpf.c. */
    private static final int ARG_NONE = 0, ARG_REG = 1, ARG_DEREF = 2, ARG_CONST = 3;
    /** The x86_64 argument registers, in order, and the return value's: the program's arg1..arg6 and retval. */
    private static final List<String> ARG_REGS = List.of("rdi", "rsi", "rdx", "rcx", "r8", "r9");
    private static final String RET_REG = "rax";
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** One event: the probe it came from, the task, and its names. */
    record Sample(Probe probe, int index, long ts, int cpu, int pid, int tid, String comm,
                  Function<String, Object> vars) {
    }

    /** Reads one name from a record: its fixed part ({@code struct event}, decoded) and its bytes. */
    private interface Reader {
        Object read(BtfRecord event, MemorySegment rec);
    }

    /**
     * Where the strings and the tracepoint record are in what the program ships ({@code struct buffer}: a
     * {@code struct event}, {@code char str[NSTR][STR_LEN]}, then {@code __u8 data[TP_MAX]}), and how to write the
     * configuration it reads ({@code struct probe_cfg}): from the object's BTF, as trace.bpf.c declares them.
     */
    private record Layout(long strings, int strLen, int nstr, long data, int tpMax, StructCodec<ProbeCfg> cfg) {
        static Layout of(ToolSession s) {
            StructLayout buffer = Aggregates.layout(s, "buffer");
            SequenceLayout str = (SequenceLayout) buffer.select(groupElement("str"));
            return new Layout(buffer.byteOffset(groupElement("str")), (int) str.elementLayout().byteSize(),
                    (int) str.elementCount(), buffer.byteOffset(groupElement("data")),
                    (int) buffer.select(groupElement("data")).byteSize(),
                    Aggregates.values(s, "probes", ProbeCfg.class));
        }

        /** Where string {@code slot} starts in a record. */
        long string(int slot) {
            return strings + (long) strLen * slot;
        }
    }

    /** {@code struct arg_spec} of trace.bpf.c (named as the C fields): how to read one argument. */
    record ArgSpec(int kind, int reg_off, long off, int size) {
    }

    /**
     * {@code struct probe_cfg} of trace.bpf.c (named as the C fields), one attachment's configuration: its
     * arguments, the strings to copy (0 none, n &gt; 0 the pointer at tracepoint-record offset n-1, n &lt; 0 the
     * pointer args[-n-1]) and how much of a tracepoint record to ship.
     */
    record ProbeCfg(ArgSpec[] args, int[] str_src, int tp_size) {
    }

    /** One attachment (its cookie is its index): its probe and how to read its names. */
    private record Entry(int probe, Map<String, Reader> names) {
    }

    private final ToolSession s;
    private final List<Probe> probes;
    private final List<Entry> entries = new ArrayList<>();
    private Layout layout;

    Capture(ToolSession s, List<Probe> probes) {
        this.s = s;
        this.probes = probes;
    }

    /**
     * Loads and attaches every probe; {@code used.get(i)} are the names probe i's expressions read,
     * {@code asString.get(i)} those read as strings (a pointer is then copied as a string at the probe).
     */
    void attach(List<Set<String>> used, List<Set<String>> asString, Integer pid, Integer tid) {
        String uprobe = "trace_uprobe_s";
        try {
            open(pid, tid, uprobe);
        } catch (RuntimeException e) {
            // sleepable uprobes (newer kernels) fault in the strings they copy; without them a string in
            // a page the process has not touched yet reads as empty
            uprobe = "trace_uprobe";
            s.err().println("note: sleepable uprobes refused (" + e.getMessage()
                    + "); using plain uprobes: strings in pages not yet touched read as empty");
            open(pid, tid, uprobe);
        }
        Program tp = s.loaded().program("trace_tp"), up = s.loaded().program(uprobe);
        for (int i = 0; i < probes.size(); i++) {
            Probe p = probes.get(i);
            switch (p.kind) {
                case TRACEPOINT -> {
                    int cookie = configureTracepoint(i, p, used.get(i));
                    s.keep(Tracepoint.attach(tp, p.where, p.name, cookie));
                }
                case UPROBE, URETPROBE -> {
                    Path file = Uprobe.resolve(p.where);
                    long offset = Uprobe.offset(file, p.name);
                    int cookie = configureUprobe(i, p, used.get(i), asString.get(i), null);
                    s.keep(Uprobe.attach(up, file, offset, p.kind == Probe.Kind.URETPROBE, pid == null ? -1 : pid,
                            0, cookie));
                }
                case USDT -> {
                    Path file = Uprobe.resolve(p.where);
                    // each site gets its own configuration: the compiler may place an argument differently
                    for (Usdt.Probe site : p.usdtSites(file)) {
                        int cookie = configureUprobe(i, p, used.get(i), asString.get(i), site.args());
                        s.keep(Uprobe.attach(up, file, site.fileOffset(), false, pid == null ? -1 : pid,
                                site.semaphoreOffset(), cookie));
                    }
                }
            }
        }
    }

    private void open(Integer pid, Integer tid, String uprobe) {
        s.object("trace");
        if (pid != null) s.set("targ_pid", pid);
        if (tid != null) s.set("targ_tid", tid);
        s.autoload(uprobe.equals("trace_uprobe") ? "trace_uprobe_s" : "trace_uprobe", false);
        layout = Layout.of(s);
        s.load();
    }

    /** Calls {@code handler} with each sample. */
    void onSamples(Consumer<Sample> handler) {
        EventType type = s.eventType("probe", "event");
        s.onEvents("events", type, e -> handler.accept(sample(e.record(), e.raw(), e.timestampNs())));
    }

    private Sample sample(BtfRecord event, MemorySegment rec, long ts) {
        Entry entry = entries.get((int) event.getLong("probe"));
        int pid = (int) event.getLong("pid"), tid = (int) event.getLong("tid"), cpu = (int) event.getLong("cpu");
        String comm = event.getString("comm");
        Function<String, Object> vars = name -> {
            Reader r = entry.names.get(name);
            if (r != null) return r.read(event, rec);
            return switch (name) {
                case "$pid", "pid" -> (long) pid;
                case "$tid", "tid" -> (long) tid;
                case "$comm", "comm" -> comm;
                case "$cpu", "cpu" -> (long) cpu;
                default -> throw new IllegalStateException("unknown name " + name);
            };
        };
        return new Sample(probes.get(entry.probe), entry.probe, ts, cpu, pid, tid, comm, vars);
    }

    private static boolean common(String name) {
        return switch (name) {
            case "$pid", "pid", "$tid", "tid", "$comm", "comm", "$cpu", "cpu" -> true;
            default -> false;
        };
    }

    private static void check(Probe p, Set<String> used, Map<String, Reader> names, int usdtArgs) {
        for (String n : used) {
            if (!names.containsKey(n) && !common(n)) {
                throw new UsageError("probe '" + p.text + "' has no '" + n + "'; it has: "
                        + String.join(", ", p.knownNames(usdtArgs)));
            }
        }
    }

    private int configureTracepoint(int index, Probe p, Set<String> used) {
        int[] strSrc = new int[layout.nstr()];
        Map<String, Reader> names = new LinkedHashMap<>();
        int end = 0, slot = 0;
        boolean dynamic = false;
        for (Probe.Field f : p.fields.values()) {
            end = Math.max(end, f.offset() + f.size());
            dynamic |= f.type().startsWith("__data_loc") || f.type().startsWith("__rel_loc");
            if (f.isCharPointer() && used.contains(f.name())) {
                if (slot == layout.nstr()) throw new UsageError("probe '" + p.text + "': at most " + layout.nstr()
                        + " string pointers");
                strSrc[slot] = f.offset() + 1;
                long at = layout.string(slot++);
                names.put(f.name(), (event, rec) -> string(rec, at, layout.strLen()));
            } else {
                names.put(f.name(), (event, rec) -> field(event, rec, f));
            }
        }
        check(p, used, names, 0);
        ProbeCfg empty = Aggregates.zero(layout.cfg());
        return store(index, new ProbeCfg(empty.args(), strSrc,
                dynamic ? layout.tpMax() : Math.min(end, layout.tpMax())), names);
    }

    private int configureUprobe(int index, Probe p, Set<String> used, Set<String> asString,
                                List<Usdt.Argument> usdt) {
        ProbeCfg cfg = Aggregates.zero(layout.cfg());
        ArgSpec[] args = cfg.args();
        Map<String, Reader> names = new LinkedHashMap<>();
        int count = usdt != null ? Math.min(usdt.size(), ARG_REGS.size()) : ARG_REGS.size();
        for (int i = 0; i < count; i++) {
            if (usdt == null) {
                args[i] = new ArgSpec(ARG_REG, Usdt.ptRegsOffset(ARG_REGS.get(i)), 0, 0);
            } else {
                Usdt.Argument a = usdt.get(i);
                args[i] = switch (a.kind()) {
                    case CONST -> new ArgSpec(ARG_CONST, 0, a.value(), 0);
                    case REGISTER -> new ArgSpec(ARG_REG, a.ptRegsOffset(), 0, 0);
                    case REGISTER_DEREF -> new ArgSpec(ARG_DEREF, a.ptRegsOffset(), a.value(), a.size());
                    case INDEXED_DEREF, UNSUPPORTED -> new ArgSpec(ARG_NONE, 0, 0, 0);
                };
            }
            String name = "arg" + (i + 1);
            int arg = i;
            Usdt.Argument a = usdt == null ? null : usdt.get(i);
            if (a != null && (a.kind() == Usdt.Kind.UNSUPPORTED || a.kind() == Usdt.Kind.INDEXED_DEREF)
                    && used.contains(name)) {
                throw new UsageError("probe '" + p.text + "': " + name + " is '" + a.spec()
                        + "', a location this tool cannot read");
            }
            names.put(name, (event, rec) -> usdtValue(arg(event, arg), a));
        }
        if (p.kind == Probe.Kind.URETPROBE) {
            int ret = ARG_REGS.size();
            args[ret] = new ArgSpec(ARG_REG, Usdt.ptRegsOffset(RET_REG), 0, 0);
            names.put("retval", (event, rec) -> arg(event, ret));
        }
        for (int i = 0; i < p.params.size() && i < count; i++) names.put(p.params.get(i), names.get("arg" + (i + 1)));
        int slot = 0;
        for (String n : asString) {
            if (!names.containsKey(n) || !used.contains(n)) continue;
            if (slot == layout.nstr()) throw new UsageError("probe '" + p.text + "': at most " + layout.nstr()
                    + " strings");
            int arg = n.equals("retval") ? ARG_REGS.size() : p.params.contains(n) ? p.params.indexOf(n)
                    : Integer.parseInt(n.substring(3)) - 1;
            cfg.str_src()[slot] = -(arg + 1);
            long at = layout.string(slot++);
            names.put(n, (event, rec) -> string(rec, at, layout.strLen()));
        }
        check(p, used, names, count);
        return store(index, cfg, names);
    }

    private int store(int probe, ProbeCfg cfg, Map<String, Reader> names) {
        int cookie = entries.size();
        if (cookie >= s.map("probes").maxEntries()) {
            throw new UsageError("too many probe sites (at most " + s.map("probes").maxEntries() + ")");
        }
        s.map("probes").typed(Codec.INT, layout.cfg()).put(cookie, cfg);
        entries.add(new Entry(probe, names));
        return cookie;
    }

    /** A USDT argument cut to its size and sign (raw 64-bit for uprobes). */
    private static long usdtValue(long v, Usdt.Argument a) {
        if (a == null || a.size() >= 8 || a.size() <= 0) return v;
        int bits = 8 * a.size();
        return a.signed() ? (v << (64 - bits)) >> (64 - bits) : v & ((1L << bits) - 1);
    }

    /** Argument {@code i} as the program read it ({@code event.args[i]}). */
    private static long arg(BtfRecord event, int i) {
        return (Long) ((List<?>) event.get("args")).get(i);
    }

    /** A tracepoint field from the record shipped after the strings. */
    private Object field(BtfRecord event, MemorySegment rec, Probe.Field f) {
        int size = (int) event.getLong("size");
        long data = layout.data();
        boolean string = f.isString();
        if (f.offset() + f.size() > size || data + size > rec.byteSize()) return string ? "" : 0L;
        long at = data + f.offset();
        if (f.type().startsWith("__data_loc") || f.type().startsWith("__rel_loc")) {
            int loc = rec.get(I32, at);
            int off = (loc & 0xffff) + (f.type().startsWith("__rel_loc") ? f.offset() + f.size() : 0);
            int len = Math.max(0, Math.min(loc >>> 16, size - off));
            if (off >= size) return string ? "" : 0L;
            return string ? string(rec, data + off, len) : HexFormat.of().formatHex(
                    rec.asSlice(data + off, len).toArray(ValueLayout.JAVA_BYTE));
        }
        if (string) return string(rec, at, f.size());
        if (f.array() || f.size() > 8 || Integer.bitCount(f.size()) != 1) {
            return HexFormat.of().formatHex(rec.asSlice(at, f.size()).toArray(ValueLayout.JAVA_BYTE));
        }
        return switch (f.size()) {
            case 1 -> f.signed() ? (long) rec.get(ValueLayout.JAVA_BYTE, at) : rec.get(ValueLayout.JAVA_BYTE, at) & 0xffL;
            case 2 -> f.signed() ? (long) rec.get(ValueLayout.JAVA_SHORT_UNALIGNED, at)
                    : rec.get(ValueLayout.JAVA_SHORT_UNALIGNED, at) & 0xffffL;
            case 4 -> f.signed() ? (long) rec.get(I32, at) : rec.get(I32, at) & 0xffffffffL;
            default -> rec.get(I64, at);
        };
    }

    /** The NUL-terminated string at {@code at}, at most {@code max} bytes. */
    private static String string(MemorySegment rec, long at, int max) {
        int n = 0;
        long limit = Math.min(max, rec.byteSize() - at);
        while (n < limit && rec.get(ValueLayout.JAVA_BYTE, at + n) != 0) n++;
        return new String(rec.asSlice(at, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }
}
