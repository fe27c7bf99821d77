package io.bpf4j.bcc;

import io.bpf4j.bcc.compile.AutoAttach;
import io.bpf4j.bcc.compile.BccCompileException;
import io.bpf4j.bcc.compile.BccCompiler;
import io.bpf4j.bcc.compile.BccOptions;
import io.bpf4j.bcc.compile.CompiledSource;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Program;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.events.PerfBuffer;
import io.bpf4j.core.events.RecordDecoder;
import io.bpf4j.core.events.RingBuffer;
import io.bpf4j.core.events.TraceLine;
import io.bpf4j.core.events.TracePipe;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.link.Kprobe;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.RawTracepoint;
import io.bpf4j.core.link.Tracefs;
import io.bpf4j.core.link.Tracepoint;
import io.bpf4j.core.link.TracepointFormat;
import io.bpf4j.core.link.Uprobe;
import io.bpf4j.core.link.Usdt;
import io.bpf4j.core.link.Xdp;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramSection;
import io.bpf4j.core.symbols.Frame;
import io.bpf4j.core.symbols.KernelSymbols;
import io.bpf4j.core.symbols.Symbolizer;

import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * bcc's {@code BPF} object in Java: a BPF program written in bcc's C dialect, in a Java string, compiled at run time
 * (clang, against the running kernel's own types; cached, so a second run starts as fast as a prebuilt tool),
 * loaded, and attached where its function names say ({@code kprobe__…}, {@code tracepoint__…},
 * {@code TRACEPOINT_PROBE}, {@code RAW_TRACEPOINT_PROBE}…).
 * <pre>{@code
 * try (Bcc b = new Bcc("""
 *         BPF_HASH(counts, u32, u64);
 *         TRACEPOINT_PROBE(syscalls, sys_enter_mkdir) {
 *             u32 pid = bpf_get_current_pid_tgid() >> 32;
 *             counts.increment(pid);
 *             return 0;
 *         }
 *         """)) {
 *     Thread.sleep(5000);
 *     for (BccTable.Entry e : b.get("counts").items()) System.out.println(e.key() + " " + e.value());
 * }
 * }</pre>
 * Named {@code Bcc} rather than bcc's {@code BPF}: Java type names are words, and the class is the bcc dialect's
 * entry point among bpf4j's others ({@code BpfObject} for libbpf-style objects). The methods are bcc's, in Java's
 * spelling: {@code attach_kprobe(event=…, fn_name=…)} is {@link #attachKprobe(String, String)},
 * {@code b["counts"]} is {@link #get(String)}, {@code open_perf_buffer} is {@link #openPerfBuffer}.
 *
 * <p><b>Functions load when they are attached</b>, as in bcc: the attach decides the program type, so one C
 * function may be a kprobe, a tracepoint or an XDP program. The maps exist from the constructor on (a program's
 * settings can be written before anything is attached).
 *
 * <p><b>Kprobes.</b> On a kernel without kprobes (CONFIG_KPROBES unset) {@link #attachKprobe} fails and says why.
 * For a system call's function ({@code __x64_sys_mkdir}, {@code sys_mkdir}, what {@link #getSyscallFnName}
 * returns) {@link #attachSyscallEntry} and {@link #attachSyscallReturn} attach the same function to the system
 * call's tracepoints instead, its {@code PT_REGS_PARMn(ctx)} reading the system call's arguments and
 * {@code PT_REGS_RC(ctx)} its return value, as do a {@code syscall__} function's named arguments (see
 * {@link SyscallTracepoint}); a {@code kprobe__} or
 * {@code kretprobe__} function on a system call is attached that way automatically there, with a note on stderr.
 *
 * <p><b>Closing</b> detaches everything and releases the readers, programs and maps. Every attachment is a BPF
 * link or a perf event owned by this process, so the kernel also detaches them when the process ends however it
 * ends (SIGTERM, SIGKILL, a crash): nothing is left attached. One thread at a time: poll and attach from one thread.
 */
public final class Bcc implements AutoCloseable {
    private final CompiledSource compiled;
    private final ObjectSpec spec;
    private final Btf btf;
    private final BpfObject object;
    private final PrintStream notes;
    private final Map<String, Program> programs = new LinkedHashMap<>();
    private final Map<String, List<Link>> attached = new LinkedHashMap<>();
    private final Map<String, List<String>> functions = new LinkedHashMap<>();
    private final Map<String, BccTable> tables = new LinkedHashMap<>();
    private final List<PerfBuffer> perfBuffers = new ArrayList<>();
    private final List<RingBuffer> ringBuffers = new ArrayList<>();
    private TracePipe tracePipe;
    private KernelSymbols kernelSymbols;
    private Symbolizer symbolizer;
    private boolean closed;

    /** Compiles, loads and auto-attaches {@code text} with the default options. */
    public Bcc(String text) {
        this(text, BccOptions.defaults("bcc.c"));
    }

    /**
     * Compiles {@code text} with {@code options} (defines, include directories, extra clang flags), loads its maps
     * and attaches the functions whose names or macros say where.
     *
     * @throws BccException when it does not compile (clang's messages, at the lines of {@code text}), a map or
     *                      program is refused (the verifier's reason) or an auto-attach fails; nothing is left
     *                      loaded then
     */
    public Bcc(String text, BccOptions options) {
        this(text, options, BccCompiler.create());
    }

    /** {@link #Bcc(String, BccOptions)} with {@code compiler} (its own cache directory, clang search path). */
    public Bcc(String text, BccOptions options, BccCompiler compiler) {
        this(compile(compiler, text, options), System.err);
    }

    private Bcc(CompiledSource compiled, PrintStream notes) {
        this.compiled = compiled;
        this.notes = notes;
        ObjectSpec read = ObjectSpec.read(compiled.object());
        this.btf = read.btf().length == 0 ? null : Btf.parse(read.btf());
        // only the maps load now: each function loads when attached, with the type the attach gives it
        for (ObjectProgram p : read.programs()) read = read.withAutoload(p.name(), false);
        this.spec = read;
        this.object = BpfObject.load(spec);
        try {
            for (AutoAttach a : compiled.autoAttach()) autoAttach(a);
        } catch (RuntimeException e) {
            try {
                close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static CompiledSource compile(BccCompiler compiler, String text, BccOptions options) {
        try {
            return compiler.compile(text, options);
        } catch (BccCompileException e) {
            throw new BccException(e.getMessage(), e);
        }
    }

    /** What the compiler made: the object file, the auto-attach list, whether it came from the cache. */
    public CompiledSource compiled() {
        return compiled;
    }

    /** The loaded object (its maps; functions load as they are attached). */
    public BpfObject object() {
        return object;
    }

    private void autoAttach(AutoAttach a) {
        switch (a.kind()) {
            case KPROBE, KRETPROBE -> {
                boolean ret = a.kind() == AutoAttach.Kind.KRETPROBE;
                Probe kprobes = Kprobe.availability();
                Optional<String> syscall = kprobes.available() ? Optional.empty()
                        : SyscallTracepoint.syscallOf(a.target());
                if (syscall.isPresent()) {
                    notes.println("bcc: " + (ret ? "kretprobe " : "kprobe ") + a.target() + " for " + a.program()
                            + ": " + kprobes.reason() + "; attaching tracepoint syscalls:sys_" + (ret ? "exit_"
                            : "enter_") + syscall.get() + " instead");
                    notes.flush();
                    if (ret) attachSyscallReturn(a.target(), a.program());
                    else attachSyscallEntry(a.target(), a.program());
                } else if (ret) {
                    attachKretprobe(a.target(), a.program());
                } else {
                    attachKprobe(a.target(), a.program());
                }
            }
            case TRACEPOINT -> attachTracepoint(a.target(), a.program());
            case RAW_TRACEPOINT -> attachRawTracepoint(a.target(), a.program());
            case KFUNC, KRETFUNC, LSM -> {
                String kind = switch (a.kind()) {
                    case KFUNC -> "fentry/";
                    case KRETFUNC -> "fexit/";
                    default -> "lsm/";
                };
                Program p = load(a.program(), kind + a.target(), UnaryOperator.identity());
                keep(kind + a.target(), a.program(), RawTracepoint.attach(p));
            }
        }
    }

    // ---- attaching ------------------------------------------------------------------------------------------

    /**
     * Attaches function {@code fnName} at the entry of kernel function {@code event} (bcc's
     * {@code attach_kprobe(event=…, fn_name=…)}).
     *
     * @throws BccException when this kernel has no kprobes (the reason, and for a system call's function the
     *                      {@link #attachSyscallEntry} alternative), or the function is refused
     */
    public Link attachKprobe(String event, String fnName) {
        return kprobe(event, fnName, false);
    }

    /** Attaches {@code fnName} at the return of kernel function {@code event} (bcc's {@code attach_kretprobe}). */
    public Link attachKretprobe(String event, String fnName) {
        return kprobe(event, fnName, true);
    }

    private Link kprobe(String event, String fnName, boolean ret) {
        Probe kprobes = Kprobe.availability();
        String kind = ret ? "kretprobe" : "kprobe";
        if (!kprobes.available()) {
            String instead = SyscallTracepoint.syscallOf(event).map(s -> "; " + event + " is system call " + s
                    + ": attach " + (ret ? "attachSyscallReturn" : "attachSyscallEntry") + "(\"" + event + "\", \""
                    + fnName + "\") to use tracepoint syscalls:sys_" + (ret ? "exit_" : "enter_") + s
                    + " instead").orElse("; use a tracepoint or raw tracepoint that serves, if the kernel has one");
            throw new BccException(kind + " " + event + " for " + fnName + ": " + kprobes.reason() + instead);
        }
        Program p = load(fnName, kind + "/" + event, UnaryOperator.identity());
        return keep(kind + "/" + event, fnName, Kprobe.attach(p, event, ret));
    }

    /**
     * Attaches {@code fnName}, written for a kprobe on system call function {@code event} ({@code mkdir},
     * {@code sys_mkdir}, {@code __x64_sys_mkdir}), to tracepoint {@code syscalls:sys_enter_<name>}: the helper for
     * kernels without kprobes. {@code PT_REGS_PARM1..6(ctx)} (and bcc's named arguments) read the system call's
     * arguments; other {@code pt_regs} fields are refused when it loads.
     *
     * @throws BccException when {@code event} is no system call this kernel has a tracepoint for
     */
    public Link attachSyscallEntry(String event, String fnName) {
        return syscall(event, fnName, false);
    }

    /**
     * Attaches {@code fnName}, written for a kretprobe on system call function {@code event}, to tracepoint
     * {@code syscalls:sys_exit_<name>}: {@code PT_REGS_RC(ctx)} reads the system call's return value.
     */
    public Link attachSyscallReturn(String event, String fnName) {
        return syscall(event, fnName, true);
    }

    private Link syscall(String event, String fnName, boolean ret) {
        String name = Tracefs.format("syscalls", "sys_enter_" + event).isPresent() ? event
                : SyscallTracepoint.syscallOf(event).orElseThrow(() -> new BccException("'" + event
                + "' is not a system call (or its function) with a tracepoint under "
                + Tracefs.events().resolve("syscalls") + "; give e.g. \"mkdir\" or getSyscallFnName(\"mkdir\")"));
        String tp = (ret ? "sys_exit_" : "sys_enter_") + name;
        TracepointFormat format = Tracefs.format("syscalls", tp).orElseThrow(() -> new BccException(
                "no tracepoint syscalls:" + tp));
        Program p;
        try {
            p = load(fnName, "tracepoint/syscalls/" + tp,
                    code -> SyscallTracepoint.rewrite(code, format, ret, fnName));
        } catch (IllegalArgumentException e) {
            throw new BccException(e.getMessage(), e);
        }
        return keep("tracepoint/syscalls:" + tp, fnName, Tracepoint.attach(p, "syscalls", tp));
    }

    /** Attaches {@code fnName} to tracepoint {@code tp}, {@code "category:name"} (bcc's {@code attach_tracepoint}). */
    public Link attachTracepoint(String tp, String fnName) {
        String[] cn = splitTracepoint(tp);
        Program p = load(fnName, "tracepoint/" + cn[0] + "/" + cn[1], UnaryOperator.identity());
        return keep("tracepoint/" + cn[0] + ":" + cn[1], fnName, Tracepoint.attach(p, cn[0], cn[1]));
    }

    /** Attaches {@code fnName} to raw tracepoint {@code tp}, e.g. {@code "sched_switch"}. */
    public Link attachRawTracepoint(String tp, String fnName) {
        Program p = load(fnName, "raw_tp/" + tp, UnaryOperator.identity());
        return keep("raw_tp/" + tp, fnName, RawTracepoint.attach(p, tp));
    }

    /**
     * Attaches {@code fnName} at the entry of function {@code sym} in {@code name}, a binary path, a library
     * name ({@code "c"}) or a command on $PATH (bcc's {@code attach_uprobe(name=…, sym=…, fn_name=…)}), in every
     * process.
     */
    public Link attachUprobe(String name, String sym, String fnName) {
        return attachUprobe(name, sym, fnName, -1);
    }

    /** {@link #attachUprobe(String, String, String)} in process {@code pid} only (-1: every process). */
    public Link attachUprobe(String name, String sym, String fnName, int pid) {
        return uprobe(name, sym, fnName, pid, false);
    }

    /** Attaches {@code fnName} at the return of {@code sym} in {@code name} (bcc's {@code attach_uretprobe}). */
    public Link attachUretprobe(String name, String sym, String fnName) {
        return attachUretprobe(name, sym, fnName, -1);
    }

    /** {@link #attachUretprobe(String, String, String)} in process {@code pid} only (-1: every process). */
    public Link attachUretprobe(String name, String sym, String fnName, int pid) {
        return uprobe(name, sym, fnName, pid, true);
    }

    private Link uprobe(String name, String sym, String fnName, int pid, boolean ret) {
        String kind = ret ? "uretprobe" : "uprobe";
        Program p = load(fnName, kind, UnaryOperator.identity());
        return keep(kind + "/" + name + ":" + sym, fnName, Uprobe.attach(p, name + ":" + sym, ret, pid));
    }

    /**
     * Attaches {@code fnName} to USDT probe {@code provider:probe} of {@code binary} (bcc's
     * {@code USDT(path=…).enable_probe(probe, fn_name)}), in process {@code pid} only or every process (-1).
     */
    public Link attachUsdt(String binary, String provider, String probe, String fnName, int pid) {
        Program p = load(fnName, "usdt", UnaryOperator.identity());
        Path path = Uprobe.resolve(binary);
        Link link = object.maps().containsKey("__bpf_usdt_specs")
                ? Usdt.attach(object, p, path, provider, probe, pid)
                : Usdt.attach(p, path, provider, probe, pid);
        return keep("usdt/" + binary + ":" + provider + ":" + probe, fnName, link);
    }

    /**
     * Attaches XDP function {@code fnName} to network interface {@code dev} (bcc's
     * {@code attach_xdp(dev, fn)}): in the driver when it has XDP, else generic, as the kernel chooses with
     * bcc's default flags 0.
     */
    public Link attachXdp(String dev, String fnName) {
        return attachXdp(dev, fnName, Xdp.Mode.DEFAULT);
    }

    /** {@link #attachXdp(String, String)} in {@code mode} (driver mode needs a driver that has XDP). */
    public Link attachXdp(String dev, String fnName, Xdp.Mode mode) {
        Program p = load(fnName, "xdp", UnaryOperator.identity());
        return keep("xdp/" + dev, fnName, Xdp.attach(p, dev, mode));
    }

    /** Detaches what {@link #attachKprobe} attached to {@code event}. */
    public void detachKprobe(String event) {
        detach("kprobe/" + event);
    }

    /** Detaches what {@link #attachKretprobe} attached to {@code event}. */
    public void detachKretprobe(String event) {
        detach("kretprobe/" + event);
    }

    /** Detaches what {@link #attachSyscallEntry} attached for {@code event}. */
    public void detachSyscallEntry(String event) {
        String name = SyscallTracepoint.syscallOf(event).orElse(event);
        detach("tracepoint/syscalls:sys_enter_" + name);
    }

    /** Detaches what {@link #attachSyscallReturn} attached for {@code event}. */
    public void detachSyscallReturn(String event) {
        String name = SyscallTracepoint.syscallOf(event).orElse(event);
        detach("tracepoint/syscalls:sys_exit_" + name);
    }

    /** Detaches what {@link #attachTracepoint} attached to {@code tp} ({@code "category:name"}). */
    public void detachTracepoint(String tp) {
        String[] cn = splitTracepoint(tp);
        detach("tracepoint/" + cn[0] + ":" + cn[1]);
    }

    /** Detaches what {@link #attachRawTracepoint} attached to {@code tp}. */
    public void detachRawTracepoint(String tp) {
        detach("raw_tp/" + tp);
    }

    /** Detaches what {@link #attachUprobe} attached to {@code sym} in {@code name}. */
    public void detachUprobe(String name, String sym) {
        detach("uprobe/" + name + ":" + sym);
    }

    /** Detaches what {@link #attachUretprobe} attached to {@code sym} in {@code name}. */
    public void detachUretprobe(String name, String sym) {
        detach("uretprobe/" + name + ":" + sym);
    }

    /** Detaches what {@link #attachUsdt} attached to {@code provider:probe} of {@code binary}. */
    public void detachUsdt(String binary, String provider, String probe) {
        detach("usdt/" + binary + ":" + provider + ":" + probe);
    }

    /** Removes the XDP program {@link #attachXdp} attached to {@code dev} (bcc's {@code remove_xdp(dev)}). */
    public void removeXdp(String dev) {
        detach("xdp/" + dev);
    }

    /**
     * What is attached, one line each: {@code hook (functions)}, e.g.
     * {@code tracepoint/syscalls:sys_enter_mkdir [count_mkdir]}.
     */
    public List<String> attachments() {
        List<String> out = new ArrayList<>();
        attached.forEach((hook, links) -> out.add(hook + " " + functions.get(hook)));
        return out;
    }

    private void detach(String hook) {
        functions.remove(hook);
        List<Link> links = attached.remove(hook);
        if (links == null) throw new BccException("nothing is attached to " + hook + "; attached: " + attached.keySet());
        RuntimeException failure = null;
        for (Link l : links) {
            try {
                l.close();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }

    private Link keep(String hook, String fnName, Link link) {
        attached.computeIfAbsent(hook, h -> new ArrayList<>()).add(link);
        functions.computeIfAbsent(hook, h -> new ArrayList<>()).add(fnName);
        return link;
    }

    private static String[] splitTracepoint(String tp) {
        String[] cn = tp.split("[:/]", 2);
        if (cn.length != 2 || cn[0].isEmpty() || cn[1].isEmpty()) {
            throw new BccException("'" + tp + "' is not a tracepoint name: give \"category:name\", e.g. "
                    + "\"sched:sched_switch\"");
        }
        return cn;
    }

    /**
     * Loads C function {@code fnName} as the program type section {@code section} implies (bcc's
     * {@code load_func}); each (function, section) pair loads once.
     */
    private Program load(String fnName, String section, UnaryOperator<io.bpf4j.core.asm.Instructions> rewrite) {
        checkOpen();
        String key = fnName + " " + section;
        Program loaded = programs.get(key);
        if (loaded != null) return loaded;
        ObjectProgram p = spec.program(fnName).orElseThrow(() -> new BccException("no function '" + fnName
                + "' in the program's C (a function is a program when it is not static); functions: "
                + spec.programs().stream().map(ObjectProgram::name).toList()));
        ProgramSection s = ProgramSection.of(section).orElseThrow(() -> new IllegalStateException(
                "no program type for section " + section));
        List<ObjectProgram.Function> linked = p.functions().stream()
                .map(f -> f.section().isEmpty() && f.slot() == 0 // BTF line info finds the code by its section
                        ? new ObjectProgram.Function(f.name(), f.slot(), p.sectionName(), f.sectionOffset(), f.length())
                        : f)
                .toList();
        ObjectProgram as = new ObjectProgram(p.name(), section, s.type(), s.expectedAttachType(), s.target(),
                s.flags(), true, p.instructions(), p.maps(), p.externs(), linked);
        Program program = object.loadProgram(spec, as, rewrite);
        programs.put(key, program);
        return program;
    }

    // ---- maps -----------------------------------------------------------------------------------------------

    /** Map {@code name} of the C source (bcc's {@code b["name"]}), keys and values typed by its BTF. */
    public BccTable get(String name) {
        checkOpen();
        return tables.computeIfAbsent(name, n -> {
            BpfMap map = object.maps().get(n);
            if (map == null) {
                throw new BccException("no map '" + n + "' in the program; maps: " + object.maps().keySet().stream()
                        .filter(m -> !m.startsWith(".")).toList());
            }
            ObjectMap om = spec.map(n).orElseThrow();
            return new BccTable(n, map, btf, om.btfKeyTypeId(), om.btfValueTypeId());
        });
    }

    /** The names of the program's maps (global data sections left out). */
    public List<String> tableNames() {
        return object.maps().keySet().stream().filter(m -> !m.startsWith(".")).toList();
    }

    /**
     * A decoder for the program's {@code struct name} (e.g. the struct a function sends with
     * {@code events.perf_submit}): what bcc's {@code b["events"].event(data)} does.
     */
    public RecordDecoder decoder(String structName) {
        if (btf == null) throw new BccException("the compiled program has no BTF to decode struct " + structName);
        try {
            return RecordDecoder.forStruct(btf, structName);
        } catch (IllegalArgumentException e) {
            throw new BccException("struct " + structName + " is not in the program's BTF: clang leaves out the "
                    + "types no map, global, function signature or perf_submit/ringbuf_output/ringbuf_submit uses; "
                    + "declare a global of it in the C, e.g. 'struct " + structName + " *unused_" + structName
                    + ";', or read the bytes yourself", e);
        }
    }

    /**
     * A decoder for what the program sends to perf or ring buffer {@code mapName} ({@code perf_submit},
     * {@code ringbuf_output}, {@code ringbuf_submit}): the struct of the data argument, which the dialect keeps in
     * the object's BTF (the first one's, if it sends several). What bcc's {@code b["events"].event(data)} does,
     * without naming the struct.
     */
    public RecordDecoder eventDecoder(String mapName) {
        get(mapName); // the map exists
        if (btf == null) {
            throw new BccException("the compiled program has no BTF to decode map " + mapName + "'s events");
        }
        String var = "__bpf4j_event_" + mapName;
        for (int id = btf.firstTypeId(); id < btf.nextTypeId(); id++) {
            // a static local's name is prefixed with its function's: "f.__bpf4j_event_events"
            if (btf.type(id) instanceof BtfType.Var v && (v.name().equals(var) || v.name().endsWith("." + var))
                    && btf.resolveType(v.type()) instanceof BtfType.Ptr ptr
                    && btf.resolveType(ptr.type()) instanceof BtfType.Composite) {
                return RecordDecoder.forType(btf, ptr.type());
            }
        }
        throw new BccException("the program sends no struct to map '" + mapName + "' (perf_submit, ringbuf_output "
                + "or ringbuf_submit of a struct's address): name the struct to decode by (openPerfBuffer(name, "
                + "\"struct_name\", callback)), or read the bytes (a (cpu, data, size) callback)");
    }

    // ---- perf and ring buffers ------------------------------------------------------------------------------

    /** Receives a perf buffer's samples (bcc's {@code callback(cpu, data, size)}), on the polling thread. */
    @FunctionalInterface
    public interface PerfCallback {
        /** One sample from {@code cpu}: {@code data} is valid during this call only. */
        void event(int cpu, MemorySegment data, int size);
    }

    /** Receives a perf buffer's loss reports (bcc's {@code lost_cb(lost)}). */
    @FunctionalInterface
    public interface LostCallback {
        /** The kernel dropped {@code count} samples: the buffer was full. */
        void lost(long count);
    }

    /** Receives a ring buffer's records (bcc's {@code callback(ctx, data, size)}), on the polling thread. */
    @FunctionalInterface
    public interface RingCallback {
        /** One record: {@code data} is valid during this call only. */
        void event(MemorySegment data, int size);
    }

    /** Receives events decoded as a struct of the program (see {@link #decoder}). */
    @FunctionalInterface
    public interface EventCallback {
        /** One event, decoded; {@code cpu} is -1 for a ring buffer. */
        void event(int cpu, BtfRecord event);
    }

    /** Reads {@code BPF_PERF_OUTPUT(name)} (bcc's {@code b["name"].open_perf_buffer(callback)}); losses on stderr. */
    public void openPerfBuffer(String name, PerfCallback callback) {
        openPerfBuffer(name, callback, count -> {
            notes.println("bcc: perf buffer '" + name + "' lost " + count + " samples");
            notes.flush();
        }, 8);
    }

    /**
     * Reads {@code BPF_PERF_OUTPUT(name)} with {@code pageCount} pages per CPU (a power of two; bcc's
     * {@code page_cnt}), losses to {@code lost} (bcc's {@code lost_cb}). Samples arrive when a poll runs.
     */
    public void openPerfBuffer(String name, PerfCallback callback, LostCallback lost, int pageCount) {
        BpfMap map = eventMap(name, MapType.PERF_EVENT_ARRAY, "BPF_PERF_OUTPUT");
        perfBuffers.add(PerfBuffer.open(map, PerfBuffer.Options.defaults().pagesPerCpu(pageCount),
                new PerfBuffer.Handler() {
                    @Override
                    public void onSample(int cpu, MemorySegment data) {
                        callback.event(cpu, data, (int) data.byteSize());
                    }

                    @Override
                    public void onLost(int cpu, long count) {
                        lost.lost(count);
                    }
                }));
    }

    /** Reads {@code BPF_PERF_OUTPUT(name)}, each sample decoded as the program's {@code struct structName}. */
    public void openPerfBuffer(String name, String structName, EventCallback callback) {
        RecordDecoder decoder = decoder(structName);
        openPerfBuffer(name, (cpu, data, size) -> callback.event(cpu, decode(decoder, data)));
    }

    /**
     * Reads {@code BPF_PERF_OUTPUT(name)}, each sample decoded as the struct the program sends to it (see
     * {@link #eventDecoder}).
     */
    public void openPerfBuffer(String name, EventCallback callback) {
        RecordDecoder decoder = eventDecoder(name);
        openPerfBuffer(name, (cpu, data, size) -> callback.event(cpu, decode(decoder, data)));
    }

    /** Receives a ring buffer's records decoded as the struct the program sends (see {@link #eventDecoder}). */
    @FunctionalInterface
    public interface RecordCallback {
        /** One record, decoded. */
        void event(BtfRecord event);
    }

    /** Reads {@code BPF_RINGBUF_OUTPUT(name, …)} (bcc's {@code b["name"].open_ring_buffer(callback)}). */
    public void openRingBuffer(String name, RingCallback callback) {
        BpfMap map = eventMap(name, MapType.RINGBUF, "BPF_RINGBUF_OUTPUT");
        ringBuffers.add(RingBuffer.open(map, data -> callback.event(data, (int) data.byteSize())));
    }

    /** Reads {@code BPF_RINGBUF_OUTPUT(name, …)}, each record decoded as the program's {@code struct structName}. */
    public void openRingBuffer(String name, String structName, EventCallback callback) {
        RecordDecoder decoder = decoder(structName);
        openRingBuffer(name, (data, size) -> callback.event(-1, decode(decoder, data)));
    }

    /**
     * Reads {@code BPF_RINGBUF_OUTPUT(name, …)}, each record decoded as the struct the program sends to it (see
     * {@link #eventDecoder}).
     */
    public void openRingBuffer(String name, RecordCallback callback) {
        RecordDecoder decoder = eventDecoder(name);
        openRingBuffer(name, (data, size) -> callback.event(decode(decoder, data)));
    }

    private static BtfRecord decode(RecordDecoder decoder, MemorySegment data) {
        if (data.byteSize() >= decoder.size()) return decoder.decode(data);
        // a sample shorter than the struct (the program sent part of it): decode it zero-padded
        byte[] padded = new byte[(int) decoder.size()];
        MemorySegment.copy(data, 0, MemorySegment.ofArray(padded), 0, data.byteSize());
        return decoder.decode(padded);
    }

    private BpfMap eventMap(String name, MapType type, String macro) {
        checkOpen();
        BpfMap map = get(name).map();
        if (map.type() != type) {
            throw new BccException("map '" + name + "' is a " + map.type() + ", not a " + macro);
        }
        return map;
    }

    /**
     * Waits up to {@code timeoutMs} (-1: for ever) for samples in the open perf buffers and hands them to their
     * callbacks (bcc's {@code perf_buffer_poll(timeout)}); returns how many it handled.
     */
    public int perfBufferPoll(int timeoutMs) {
        if (perfBuffers.isEmpty()) throw new BccException("no perf buffer is open: openPerfBuffer first");
        return poll(timeoutMs, perfBuffers.size(), i -> perfBuffers.get(i).consume(),
                (i, d) -> perfBuffers.get(i).poll(d));
    }

    /** {@link #perfBufferPoll(int)} for ever, until samples arrive. */
    public int perfBufferPoll() {
        return perfBufferPoll(-1);
    }

    /**
     * Waits up to {@code timeoutMs} (-1: for ever) for records in the open ring buffers and hands them to their
     * callbacks (bcc's {@code ring_buffer_poll(timeout)}); returns how many it handled.
     */
    public int ringBufferPoll(int timeoutMs) {
        if (ringBuffers.isEmpty()) throw new BccException("no ring buffer is open: openRingBuffer first");
        return poll(timeoutMs, ringBuffers.size(), i -> ringBuffers.get(i).consume(),
                (i, d) -> ringBuffers.get(i).poll(d));
    }

    /** {@link #ringBufferPoll(int)} for ever, until records arrive. */
    public int ringBufferPoll() {
        return ringBufferPoll(-1);
    }

    /** Hands what the ring buffers hold now to their callbacks, without waiting (bcc's {@code ring_buffer_consume}). */
    public int ringBufferConsume() {
        int n = 0;
        for (RingBuffer r : ringBuffers) n += r.consume();
        return n;
    }

    private interface Consume {
        int apply(int i);
    }

    private interface Wait {
        int apply(int i, Duration d);
    }

    /**
     * Polls several readers from one thread: what any holds is handled at once; otherwise each waits in turn for
     * a short slice until the timeout, so a record in any of them is seen within a slice.
     */
    private int poll(int timeoutMs, int readers, Consume consume, Wait wait) {
        checkOpen();
        long deadline = timeoutMs < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMs * 1_000_000L;
        while (true) {
            int n = 0;
            for (int i = 0; i < readers; i++) n += consume.apply(i);
            if (n > 0) return n;
            long left = deadline == Long.MAX_VALUE ? Long.MAX_VALUE : (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) return 0;
            if (readers == 1) {
                long ms = Math.min(left, 1000); // a wait for ever still returns now and then to see a close
                n = wait.apply(0, Duration.ofMillis(ms));
            } else {
                long slice = Math.max(1, Math.min(left, 50) / readers);
                for (int i = 0; i < readers && n == 0; i++) n += wait.apply(i, Duration.ofMillis(slice));
            }
            if (n > 0 || closed) return n;
        }
    }

    // ---- trace pipe -----------------------------------------------------------------------------------------

    /**
     * Waits for the next line of the trace pipe (where {@code bpf_trace_printk} writes) and returns it split as
     * bcc's {@code trace_fields()}: task, pid, cpu, flags, timestamp, message. The pipe is the system's: lines of
     * other programs appear too, and another reader of it takes lines from this one.
     */
    public TraceLine traceFields() {
        while (true) {
            Optional<TraceLine> line = traceFields(Duration.ofSeconds(1));
            if (line.isPresent()) return line.get();
            checkOpen();
        }
    }

    /** {@link #traceFields()}, waiting at most {@code timeout}; empty when no line came. */
    public Optional<TraceLine> traceFields(Duration timeout) {
        return pipe().awaitLine(timeout, l -> true);
    }

    /** The next trace pipe line as it is (bcc's {@code trace_readline()}), waiting at most {@code timeout}. */
    public Optional<String> traceReadline(Duration timeout) {
        return traceFields(timeout).map(TraceLine::raw);
    }

    /**
     * Prints the trace pipe's lines on stdout as they come (bcc's {@code trace_print()}), until this object is
     * closed or the thread interrupted.
     */
    public void tracePrint() {
        tracePrint(System.out);
    }

    /** {@link #tracePrint()} to {@code out}. */
    public void tracePrint(PrintStream out) {
        while (!closed && !Thread.currentThread().isInterrupted()) {
            pipe().poll(Duration.ofMillis(500), l -> out.println(l.raw()));
            out.flush();
        }
    }

    private TracePipe pipe() {
        checkOpen();
        if (tracePipe == null) tracePipe = TracePipe.open();
        return tracePipe;
    }

    // ---- symbols and names ----------------------------------------------------------------------------------

    /**
     * The kernel's function for system call {@code name} (bcc's {@code get_syscall_fnname}): the name kallsyms
     * has, e.g. {@code __x64_sys_mkdir} on x86-64, else {@code sys_mkdir}.
     */
    public String getSyscallFnName(String name) {
        String fn = Kprobe.syscall(name);
        return kernelSymbols().contains(fn) ? fn : "sys_" + name;
    }

    /** The kernel symbol at or below {@code addr} (bcc's {@code ksym(addr)}), or {@code [unknown]}. */
    public String ksym(long addr) {
        return ksym(addr, false, false);
    }

    /**
     * bcc's {@code ksym(addr, show_module, show_offset)}: the symbol, {@code +0x…} offset when
     * {@code showOffset}, {@code [module]} when {@code showModule}.
     */
    public String ksym(long addr, boolean showModule, boolean showOffset) {
        Frame f = kernelSymbols().resolve(addr);
        if (!f.resolved()) return "[unknown]";
        StringBuilder sb = new StringBuilder(f.symbol());
        if (showOffset) sb.append("+0x").append(Long.toHexString(f.offset()));
        if (showModule) sb.append(" [").append(f.module() == null ? "kernel" : f.module()).append(']');
        return sb.toString();
    }

    /** The address of kernel symbol {@code name} (bcc's {@code ksymname}), or -1. */
    public long ksymname(String name) {
        return kernelSymbols().address(name).orElse(-1);
    }

    /** The symbol at {@code addr} in process {@code pid} (bcc's {@code sym(addr, pid)}), or {@code [unknown]}. */
    public String sym(long addr, int pid) {
        return sym(addr, pid, false, false);
    }

    /** bcc's {@code sym(addr, pid, show_module, show_offset)}. */
    public String sym(long addr, int pid, boolean showModule, boolean showOffset) {
        if (symbolizer == null) symbolizer = new Symbolizer();
        Frame f = symbolizer.user(pid, addr);
        if (!f.resolved()) return "[unknown]";
        StringBuilder sb = new StringBuilder(f.symbol());
        if (showOffset) sb.append("+0x").append(Long.toHexString(f.offset()));
        if (showModule && f.module() != null) sb.append(" [").append(f.module()).append(']');
        return sb.toString();
    }

    private KernelSymbols kernelSymbols() {
        if (kernelSymbols == null) kernelSymbols = KernelSymbols.load();
        return kernelSymbols;
    }

    // ---- closing --------------------------------------------------------------------------------------------

    private void checkOpen() {
        if (closed) throw new IllegalStateException("this Bcc program is closed");
    }

    /** Detaches everything, closes the readers, then the programs and maps. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<AutoCloseable> all = new ArrayList<>();
        attached.values().forEach(all::addAll);
        all.addAll(perfBuffers);
        all.addAll(ringBuffers);
        if (tracePipe != null) all.add(tracePipe);
        all.addAll(programs.values());
        all.add(object);
        attached.clear();
        functions.clear();
        RuntimeException failure = null;
        for (AutoCloseable c : all) {
            try {
                c.close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new RuntimeException(e);
                if (failure == null) failure = r;
                else failure.addSuppressed(r);
            }
        }
        if (failure != null) throw failure;
    }

    @Override
    public String toString() {
        return "Bcc[" + compiled.object() + ", attached " + attached.keySet() + "]";
    }
}
