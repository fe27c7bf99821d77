package io.bpf4j.tools.trace;

import io.bpf4j.core.Program;
import io.bpf4j.core.link.Tracepoint;
import io.bpf4j.core.link.Uprobe;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.output.EventType;
import io.bpf4j.tools.ToolSession;
import io.bpf4j.tools.UsageError;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

/**
 * The capture side shared by {@code trace} and {@code argdist}: loads {@code trace.bpf.o}, writes each
 * attachment's configuration (which registers or memory make the arguments, which pointers to copy as strings,
 * how much of a tracepoint record to ship) under the attachment's BPF cookie, attaches, and turns each record into
 * a {@link Sample} whose names ({@code arg1}, {@code retval}, tracepoint fields, {@code $pid}…) read the record.
 */
final class Capture {
    private static final int NARGS = 7, NSTR = 3, STR_LEN = 128, TP_MAX = 2048;
    /** Offsets in struct event (trace.bpf.c). */
    private static final int CPU = 8, PID = 12, TID = 16, PROBE = 20, COMM = 24, ARGS = 40, SIZE = 96, HEADER = 104;
    private static final int STRINGS = HEADER, DATA = HEADER + NSTR * STR_LEN;
    /** struct probe_cfg: NARGS struct arg_spec of 24 bytes, NSTR str_src, tp_size. */
    private static final int SPEC = 24, CFG = NARGS * SPEC + NSTR * 4 + 4;
    private static final int ARG_NONE = 0, ARG_REG = 1, ARG_DEREF = 2, ARG_CONST = 3;
    /** x86_64 struct pt_regs offsets of the argument registers (di, si, dx, cx, r8, r9) and of ax. */
    private static final int[] ARG_REGS = {112, 104, 96, 88, 72, 64};
    private static final int AX = 80;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    /** One event: the probe it came from, the task, and its names. */
    record Sample(Probe probe, int index, long ts, int cpu, int pid, int tid, String comm,
                  Function<String, Object> vars) {
    }

    /** Reads one name from a record. */
    private interface Reader {
        Object read(MemorySegment rec);
    }

    /** One attachment (its cookie is its index): its probe and how to read its names. */
    private record Entry(int probe, Map<String, Reader> names) {
    }

    private final ToolSession s;
    private final List<Probe> probes;
    private final List<Entry> entries = new ArrayList<>();

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
        s.load();
    }

    /** Calls {@code handler} with each sample. */
    void onSamples(Consumer<Sample> handler) {
        EventType type = s.eventType("probe", "event");
        s.onEvents("events", type, e -> handler.accept(sample(e.raw(), e.timestampNs())));
    }

    private Sample sample(MemorySegment rec, long ts) {
        Entry entry = entries.get(rec.get(I32, PROBE));
        int pid = rec.get(I32, PID), tid = rec.get(I32, TID), cpu = rec.get(I32, CPU);
        String comm = string(rec, COMM, 16);
        Function<String, Object> vars = name -> {
            Reader r = entry.names.get(name);
            if (r != null) return r.read(rec);
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
        ByteBuffer cfg = ByteBuffer.allocate(CFG).order(ByteOrder.nativeOrder());
        Map<String, Reader> names = new LinkedHashMap<>();
        int end = 0, slot = 0;
        boolean dynamic = false;
        for (Probe.Field f : p.fields.values()) {
            end = Math.max(end, f.offset() + f.size());
            dynamic |= f.type().startsWith("__data_loc") || f.type().startsWith("__rel_loc");
            if (f.isCharPointer() && used.contains(f.name())) {
                if (slot == NSTR) throw new UsageError("probe '" + p.text + "': at most " + NSTR
                        + " string pointers");
                cfg.putInt(NARGS * SPEC + 4 * slot, f.offset() + 1);
                int at = STRINGS + STR_LEN * slot++;
                names.put(f.name(), rec -> string(rec, at, STR_LEN));
            } else {
                names.put(f.name(), rec -> field(rec, f));
            }
        }
        check(p, used, names, 0);
        cfg.putInt(NARGS * SPEC + 4 * NSTR, dynamic ? TP_MAX : Math.min(end, TP_MAX));
        return store(index, cfg.array(), names);
    }

    private int configureUprobe(int index, Probe p, Set<String> used, Set<String> asString,
                                List<Usdt.Argument> usdt) {
        ByteBuffer cfg = ByteBuffer.allocate(CFG).order(ByteOrder.nativeOrder());
        Map<String, Reader> names = new LinkedHashMap<>();
        int count = usdt != null ? Math.min(usdt.size(), 6) : 6;
        for (int i = 0; i < count; i++) {
            int at = i * SPEC;
            if (usdt == null) {
                cfg.putInt(at, ARG_REG).putInt(at + 4, ARG_REGS[i]);
            } else {
                Usdt.Argument a = usdt.get(i);
                switch (a.kind()) {
                    case CONST -> cfg.putInt(at, ARG_CONST).putLong(at + 8, a.value());
                    case REGISTER -> cfg.putInt(at, ARG_REG).putInt(at + 4, a.ptRegsOffset());
                    case REGISTER_DEREF -> cfg.putInt(at, ARG_DEREF).putInt(at + 4, a.ptRegsOffset())
                            .putLong(at + 8, a.value()).putInt(at + 16, a.size());
                    case UNSUPPORTED -> cfg.putInt(at, ARG_NONE);
                }
            }
            String name = "arg" + (i + 1);
            int off = ARGS + 8 * i;
            Usdt.Argument a = usdt == null ? null : usdt.get(i);
            if (a != null && a.kind() == Usdt.Kind.UNSUPPORTED && used.contains(name)) {
                throw new UsageError("probe '" + p.text + "': " + name + " is '" + a.spec()
                        + "', a location this tool cannot read");
            }
            names.put(name, rec -> usdtValue(rec.get(I64, off), a));
        }
        if (p.kind == Probe.Kind.URETPROBE) {
            cfg.putInt(6 * SPEC, ARG_REG).putInt(6 * SPEC + 4, AX);
            names.put("retval", rec -> rec.get(I64, ARGS + 8 * 6));
        }
        for (int i = 0; i < p.params.size() && i < count; i++) names.put(p.params.get(i), names.get("arg" + (i + 1)));
        int slot = 0;
        for (String n : asString) {
            if (!names.containsKey(n) || !used.contains(n)) continue;
            if (slot == NSTR) throw new UsageError("probe '" + p.text + "': at most " + NSTR
                    + " strings");
            int arg = n.equals("retval") ? 6 : p.params.contains(n) ? p.params.indexOf(n)
                    : Integer.parseInt(n.substring(3)) - 1;
            cfg.putInt(NARGS * SPEC + 4 * slot, -(arg + 1));
            int at = STRINGS + STR_LEN * slot++;
            names.put(n, rec -> string(rec, at, STR_LEN));
        }
        check(p, used, names, count);
        return store(index, cfg.array(), names);
    }

    private int store(int probe, byte[] cfg, Map<String, Reader> names) {
        int cookie = entries.size();
        if (cookie >= s.map("probes").maxEntries()) {
            throw new UsageError("too many probe sites (at most " + s.map("probes").maxEntries() + ")");
        }
        byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(cookie).array();
        s.map("probes").update(key, cfg);
        entries.add(new Entry(probe, names));
        return cookie;
    }

    /** A USDT argument cut to its size and sign (raw 64-bit for uprobes). */
    private static long usdtValue(long v, Usdt.Argument a) {
        if (a == null || a.size() >= 8 || a.size() <= 0) return v;
        int bits = 8 * a.size();
        return a.signed() ? (v << (64 - bits)) >> (64 - bits) : v & ((1L << bits) - 1);
    }

    /** A tracepoint field from the record shipped after the strings. */
    private static Object field(MemorySegment rec, Probe.Field f) {
        int size = rec.get(I32, SIZE);
        boolean string = f.isString();
        if (f.offset() + f.size() > size || DATA + size > rec.byteSize()) return string ? "" : 0L;
        long at = DATA + f.offset();
        if (f.type().startsWith("__data_loc") || f.type().startsWith("__rel_loc")) {
            int loc = rec.get(I32, at);
            int off = (loc & 0xffff) + (f.type().startsWith("__rel_loc") ? f.offset() + f.size() : 0);
            int len = Math.max(0, Math.min(loc >>> 16, size - off));
            if (off >= size) return string ? "" : 0L;
            return string ? string(rec, DATA + off, len) : HexFormat.of().formatHex(
                    rec.asSlice(DATA + off, len).toArray(ValueLayout.JAVA_BYTE));
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
