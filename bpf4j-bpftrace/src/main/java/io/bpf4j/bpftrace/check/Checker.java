package io.bpf4j.bpftrace.check;

import io.bpf4j.bpftrace.ast.AttachPoint;
import io.bpf4j.bpftrace.ast.Expr;
import io.bpf4j.bpftrace.ast.Position;
import io.bpf4j.bpftrace.ast.Probe;
import io.bpf4j.bpftrace.ast.Script;
import io.bpf4j.bpftrace.ast.SourceException;
import io.bpf4j.bpftrace.ast.Stmt;
import io.bpf4j.bpftrace.format.Printf;
import io.bpf4j.core.link.Kprobe;
import io.bpf4j.core.link.TracepointFormat;
import io.bpf4j.core.link.Uprobe;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Semantic analysis: resolves attach points against the kernel ({@link ProbeCatalog}), gives every expression a
 * type, infers each map's key and value types from all its uses, and rejects what cannot be compiled with a
 * message at the offending position.
 */
public final class Checker {
    /** Builtins whose value is a 64-bit unsigned integer. */
    private static final Set<String> INT_BUILTINS = Set.of("pid", "tid", "uid", "gid", "nsecs", "elapsed", "cpu",
            "rand", "cgroup", "retval", "numaid", "arg0", "arg1", "arg2", "arg3", "arg4", "arg5");
    private static final Set<String> AGGREGATIONS = Set.of("count", "sum", "min", "max", "avg", "stats", "hist",
            "lhist");
    private static final Map<String, String> PROVIDER_ALIASES = Map.ofEntries(Map.entry("t", "tracepoint"),
            Map.entry("i", "interval"), Map.entry("p", "profile"), Map.entry("s", "software"),
            Map.entry("u", "uprobe"), Map.entry("ur", "uretprobe"), Map.entry("k", "kprobe"),
            Map.entry("kr", "kretprobe"), Map.entry("f", "kfunc"), Map.entry("fr", "kretfunc"),
            Map.entry("U", "usdt"), Map.entry("h", "hardware"), Map.entry("rawtracepoint", "rawtracepoint"),
            Map.entry("rt", "rawtracepoint"));
    private static final Map<String, String> SOFTWARE_ALIASES = Map.ofEntries(Map.entry("cpu", "cpu-clock"),
            Map.entry("cpu-clock", "cpu-clock"), Map.entry("task-clock", "task-clock"),
            Map.entry("faults", "page-faults"), Map.entry("page-faults", "page-faults"),
            Map.entry("cs", "context-switches"), Map.entry("context-switches", "context-switches"),
            Map.entry("migrations", "cpu-migrations"), Map.entry("cpu-migrations", "cpu-migrations"),
            Map.entry("minor-faults", "minor-faults"), Map.entry("major-faults", "major-faults"),
            Map.entry("alignment-faults", "alignment-faults"), Map.entry("emulation-faults", "emulation-faults"),
            Map.entry("dummy", "dummy"));

    /** Functions bpftrace refuses a kretprobe on: the return probe itself takes these locks. */
    private static final Set<String> BANNED_KRETPROBES = Set.of("_raw_spin_lock", "_raw_spin_lock_irqsave",
            "_raw_spin_unlock_irqrestore", "queued_spin_lock_slowpath");

    private final ProbeCatalog catalog;
    private final List<String> positionals;
    private final CTypes ctypes = new CTypes();
    private final Map<Expr, Type> types = new IdentityHashMap<>();
    private final Map<String, MapInfo> maps = new HashMap<>();
    /** The second pass: maps are all known, a read of an unknown one is an error. */
    private boolean lastPass;
    private Map<String, Type> variables;
    private int loops;
    private List<ProbeTarget> targets;

    private final boolean unsafe;
    private final int pid;

    private Checker(ProbeCatalog catalog, List<String> positionals, boolean unsafe, int pid) {
        this.catalog = catalog;
        this.positionals = List.copyOf(positionals);
        this.unsafe = unsafe;
        this.pid = pid;
    }

    /**
     * Checks {@code script}.
     *
     * @param catalog     the tracepoints of the kernel
     * @param positionals the values of $1, $2…
     * @throws SourceException at the first error
     */
    public static Analysis check(Script script, ProbeCatalog catalog, List<String> positionals) {
        return check(script, catalog, positionals, false, 0);
    }

    /**
     * Checks {@code script}; {@code unsafe} allows {@code system()}; {@code pid} (0: none) is the process whose
     * binaries a USDT attach point without a binary names.
     *
     * @throws SourceException at the first error
     */
    public static Analysis check(Script script, ProbeCatalog catalog, List<String> positionals, boolean unsafe,
                                 int pid) {
        return new Checker(catalog, positionals, unsafe, pid).run(script);
    }

    private Analysis run(Script script) {
        for (String def : script.definitions()) {
            try {
                ctypes.define(def);
            } catch (IllegalArgumentException e) {
                throw new SourceException(new Position(1, 1), "in '" + def.lines().findFirst().orElse(def) + "': "
                        + e.getMessage());
            }
        }
        List<CheckedProbe> probes = new ArrayList<>();
        for (Probe p : script.probes()) probes.add(new CheckedProbe(p, resolve(p)));
        // Two passes: a map may be read in a block before the block that assigns it; the first pass learns every
        // map's shape, the second types the reads with it.
        for (int pass = 0; pass < 2; pass++) {
            lastPass = pass == 1;
            for (CheckedProbe p : probes) {
                variables = new HashMap<>();
                targets = p.targets();
                if (p.block().predicate() != null) requireInt(p.block().predicate(), "a predicate");
                statements(p.block().body());
            }
        }
        return new Analysis(probes, new TreeMap<>(maps), types, positionals, ctypes);
    }

    // ---- attach points ----

    private List<ProbeTarget> resolve(Probe p) {
        List<ProbeTarget> out = new ArrayList<>();
        SourceException missing = null;
        for (AttachPoint ap : p.attachPoints()) {
            try {
                out.addAll(resolve(ap));
            } catch (SourceException e) {
                // as bpftrace: one of several uprobes of a block naming a function the binary lacks is left out
                if (e != missingFunction || p.attachPoints().size() == 1) throw e;
                missing = e;
            }
        }
        if (out.isEmpty() && missing != null) throw missing;
        return out;
    }

    /** The error of the last uprobe naming a function its binary does not have. */
    private SourceException missingFunction;

    private List<ProbeTarget> resolve(AttachPoint written) {
        AttachPoint ap = substitutePositionals(written);
        String provider = PROVIDER_ALIASES.getOrDefault(ap.provider(), ap.provider());
        List<String> parts = ap.parts();
        return switch (provider) {
            case "BEGIN" -> {
                requireParts(ap, 0, "BEGIN");
                yield List.of(new ProbeTarget.Begin());
            }
            case "END" -> {
                requireParts(ap, 0, "END");
                yield List.of(new ProbeTarget.End());
            }
            case "tracepoint" -> tracepoints(ap);
            case "interval" -> {
                requireParts(ap, 2, "interval:UNIT:N (units s, ms, us, hz)");
                long n = number(ap, parts.get(1));
                long period = switch (parts.get(0)) {
                    case "s" -> n * 1_000_000_000L;
                    case "ms" -> n * 1_000_000L;
                    case "us" -> n * 1_000L;
                    case "hz" -> 1_000_000_000L / n;
                    default -> throw new SourceException(ap.position(), "unknown interval unit '" + parts.get(0)
                            + "': use s, ms, us or hz");
                };
                yield List.of(new ProbeTarget.Interval("interval:" + parts.get(0) + ":" + parts.get(1), period));
            }
            case "profile" -> {
                requireParts(ap, 2, "profile:UNIT:N (units hz, s, ms, us)");
                long n = number(ap, parts.get(1));
                String text = "profile:" + parts.get(0) + ":" + parts.get(1);
                yield List.of(switch (parts.get(0)) {
                    case "hz" -> new ProbeTarget.Profile(text, n, true);
                    case "s" -> new ProbeTarget.Profile(text, n * 1_000_000_000L, false);
                    case "ms" -> new ProbeTarget.Profile(text, n * 1_000_000L, false);
                    case "us" -> new ProbeTarget.Profile(text, n * 1_000L, false);
                    default -> throw new SourceException(ap.position(), "unknown profile unit '" + parts.get(0)
                            + "': use hz, s, ms or us");
                });
            }
            case "software" -> {
                if (parts.isEmpty() || parts.size() > 2) {
                    throw new SourceException(ap.position(), "expected software:EVENT[:COUNT], e.g. software:faults:100");
                }
                String event = SOFTWARE_ALIASES.get(parts.get(0));
                if (event == null) throw new SourceException(ap.position(), "unknown software event '"
                        + parts.get(0) + "'; known: " + String.join(", ", new TreeMap<>(SOFTWARE_ALIASES).keySet()));
                long count = parts.size() == 2 ? number(ap, parts.get(1)) : 1000;
                yield List.of(new ProbeTarget.Software("software:" + String.join(":", parts), event, count));
            }
            case "uprobe", "uretprobe" -> {
                requireParts(ap, 2, provider + ":BINARY:FUNCTION");
                Path binary;
                try {
                    binary = Uprobe.resolve(Binaries.readable(parts.get(0), pid));
                } catch (IllegalArgumentException e) {
                    throw new SourceException(ap.position(), e.getMessage());
                }
                boolean ret = provider.equals("uretprobe");
                ctypes.addBinary(binary);
                if (!isGlob(parts.get(1))) {
                    String fn = parts.get(1);
                    if (fn.matches("0x[0-9a-fA-F]+|\\d+")) {
                        fn = functionAt(ap, parts.get(0), binary, unsignedNumber(fn));
                    } else if (fn.matches(".+\\+(0x[0-9a-fA-F]+|\\d+)")) {
                        offsetInside(ap, binary, fn);
                    }
                    if (!fn.contains("+") && !Uprobe.functionNames(binary).contains(fn)) {
                        Path libc = mergedIntoLibc(binary, fn);
                        if (libc != null) yield List.of(new ProbeTarget.Uprobe(libc, fn, ret));
                        missingFunction = new SourceException(ap.position(), "no function '" + fn + "' in " + binary);
                        throw missingFunction;
                    }
                    yield List.of(new ProbeTarget.Uprobe(binary, fn, ret));
                }
                Pattern fn = glob(parts.get(1));
                List<ProbeTarget> found = new ArrayList<>();
                for (String f : Uprobe.functionNames(binary)) {
                    if (fn.matcher(f).matches()) found.add(new ProbeTarget.Uprobe(binary, f, ret));
                }
                if (found.isEmpty()) throw new SourceException(ap.position(), "no function of " + binary
                        + " matches " + parts.get(1));
                yield found;
            }
            case "usdt" -> usdt(ap);
            case "kprobe", "kretprobe", "kfunc", "kretfunc", "fentry", "fexit" -> throw refusedKernelProbe(ap,
                    provider);
            default -> throw new SourceException(ap.position(), "unsupported probe type '" + ap.provider()
                    + "': this compiler knows BEGIN, END, tracepoint, interval, profile, software, uprobe and "
                    + "uretprobe");
        };
    }

    /**
     * The function a uprobe by address ({@code uprobe:BIN:0x401126}) names: the address must be where one starts,
     * since an instruction starts there (in a function, this compiler cannot tell where its instructions start).
     */
    private static String functionAt(AttachPoint ap, String written, Path binary, long address) {
        for (Uprobe.Function f : Uprobe.functionSymbols(binary)) {
            if (f.address() == address) return f.name();
        }
        for (Uprobe.Function f : Uprobe.functionSymbols(binary)) {
            if (address > f.address() && address < f.address() + f.size()) {
                throw new SourceException(ap.position(), "address 0x" + Long.toHexString(address) + " is inside "
                        + f.name() + " (+0x" + Long.toHexString(address - f.address()) + "): bpf4j bt attaches by "
                        + "address only where a function starts; write " + f.name() + "+OFFSET for an offset");
            }
        }
        throw new SourceException(ap.position(), "Could not resolve address: " + written + ":0x"
                + Long.toHexString(address));
    }

    /** A decimal or 0x-hexadecimal number of an attach point (a leading 0 does not make it octal). */
    private static long unsignedNumber(String text) {
        return text.startsWith("0x") || text.startsWith("0X") ? Long.parseUnsignedLong(text.substring(2), 16)
                : Long.parseUnsignedLong(text);
    }

    /** {@code uprobe:BIN:FUNCTION+OFFSET}: the offset must be inside the function, as far as its size is known. */
    private static void offsetInside(AttachPoint ap, Path binary, String target) {
        int plus = target.lastIndexOf('+');
        String name = target.substring(0, plus);
        long offset = unsignedNumber(target.substring(plus + 1));
        for (Uprobe.Function f : Uprobe.functionSymbols(binary)) {
            if (f.name().equals(name) && f.size() > 0 && offset >= f.size()) {
                throw new SourceException(ap.position(), "Offset outside the function bounds ('" + name
                        + "' size is " + f.size() + ")");
            }
        }
    }

    /** The libraries glibc 2.34 merged into libc.so.6, leaving each an empty stub for programs linked with it. */
    private static final Pattern GLIBC_STUBS = Pattern.compile("lib(pthread|dl|rt|util|anl)\\.so\\.\\d+");

    /**
     * The libc.so.6 next to {@code binary} when {@code binary} is one of glibc's stub libraries and that libc has
     * {@code fn}: a program linked with {@code -lpthread} calls libc's pthread_create since glibc 2.34, so that is
     * where {@code uprobe:libpthread:pthread_create} (threadsnoop.bt) must attach to see it. Else null.
     */
    private static Path mergedIntoLibc(Path binary, String fn) {
        if (!GLIBC_STUBS.matcher(binary.getFileName().toString()).matches()) return null;
        Path libc = binary.resolveSibling("libc.so.6");
        try {
            return Files.isRegularFile(libc) && Uprobe.functionNames(libc).contains(fn) ? libc : null;
        } catch (RuntimeException unreadable) {
            return null;
        }
    }

    /** {@code usdt:BINARY:[PROVIDER:]NAME}, wildcards in each part; an empty binary means {@code -p}'s binaries. */
    private List<ProbeTarget> usdt(AttachPoint ap) {
        List<String> parts = ap.parts();
        if (parts.size() < 2 || parts.size() > 3) {
            throw new SourceException(ap.position(), "expected usdt:BINARY:[PROVIDER:]NAME, found '" + ap.text() + "'");
        }
        String binary = parts.get(0);
        Pattern provider = glob(parts.size() == 3 && !parts.get(1).isEmpty() ? parts.get(1) : "*");
        Pattern name = glob(parts.getLast().isEmpty() ? "*" : parts.getLast());
        if (binary.isEmpty() && pid == 0) {
            throw new SourceException(ap.position(), "usdt probes without a binary need -p PID");
        }
        List<ProbeTarget> out = new ArrayList<>();
        for (String file : Binaries.matching(binary.isEmpty() ? "*" : binary, pid)) {
            List<io.bpf4j.core.link.Usdt.Probe> sites;
            try {
                sites = io.bpf4j.core.link.Usdt.probes(Path.of(Binaries.readable(file, pid)));
            } catch (RuntimeException notElf) {
                continue;
            }
            for (io.bpf4j.core.link.Usdt.Probe site : sites) {
                if (provider.matcher(site.provider()).matches() && name.matcher(site.name()).matches()) {
                    out.add(new ProbeTarget.Usdt(Path.of(Binaries.readable(file, pid)), file, site));
                }
            }
        }
        if (out.isEmpty()) throw new SourceException(ap.position(), "no USDT probe matches " + ap.text()
                + " (list them with: bpf4j bt -l 'usdt:" + (binary.isEmpty() ? "*" : binary) + ":*'"
                + (pid == 0 ? "" : " -p " + pid) + ")");
        return out;
    }

    /** Attach points may hold positional parameters, as in {@code interval:ms:$1}: their values replace them. */
    private AttachPoint substitutePositionals(AttachPoint ap) {
        if (!ap.text().contains("$")) return ap;
        java.util.function.UnaryOperator<String> sub = text -> Pattern.compile("\\$(\\d+)").matcher(text)
                .replaceAll(m -> java.util.regex.Matcher.quoteReplacement(
                        positional(Integer.parseInt(m.group(1)))));
        return new AttachPoint(sub.apply(ap.text()), sub.apply(ap.provider()), ap.parts().stream().map(sub).toList(),
                ap.position());
    }

    private String positional(int index) {
        return index >= 1 && index <= positionals.size() ? positionals.get(index - 1) : "";
    }

    private List<ProbeTarget> tracepoints(AttachPoint ap) {
        requireParts(ap, 2, "tracepoint:CATEGORY:NAME");
        String category = ap.parts().get(0);
        String name = ap.parts().get(1);
        List<ProbeTarget> out = new ArrayList<>();
        if (isGlob(category) || isGlob(name)) {
            Pattern pattern = glob(category + ":" + name);
            for (String tp : catalog.tracepoints()) {
                if (!pattern.matcher(tp).matches()) continue;
                String[] cn = tp.split(":", 2);
                catalog.tracepointFormat(cn[0], cn[1]).ifPresent(f -> out.add(new ProbeTarget.Tracepoint(f)));
            }
            if (out.isEmpty()) throw new SourceException(ap.position(), "no tracepoint matches " + ap.text());
            return out;
        }
        TracepointFormat format = catalog.tracepointFormat(category, name).orElseThrow(() ->
                new SourceException(ap.position(), "tracepoint not found: " + category + ":" + name
                        + " (list them with: bpf4j bt -l 'tracepoint:" + category + ":*')"));
        return List.of(new ProbeTarget.Tracepoint(format));
    }

    /**
     * Kernel-function probes need kprobes or BPF trampolines, which this compiler does not generate; the message
     * names the tracepoint that serves a system call instead.
     */
    private SourceException refusedKernelProbe(AttachPoint ap, String provider) {
        String function = ap.parts().isEmpty() ? "" : ap.parts().getLast();
        if ((provider.equals("kprobe") || provider.equals("kretprobe")) && ap.parts().size() != 1) {
            return new SourceException(ap.position(), provider + " probe type requires 1 argument");
        }
        if (provider.equals("kretprobe") && BANNED_KRETPROBES.contains(function)) {
            return new SourceException(ap.position(), "error: kretprobe:" + function + " can't be used as it might "
                    + "lock up your system.");
        }
        boolean ret = provider.equals("kretprobe") || provider.equals("kretfunc") || provider.equals("fexit");
        String why;
        if (provider.startsWith("k") && provider.contains("probe")) {
            io.bpf4j.core.kernel.Probe kprobes = Kprobe.availability();
            why = kprobes.available() ? "kprobes are not supported by bpf4j bt yet"
                    : "kprobes are not available on this kernel (" + kprobes.reason() + ")";
        } else {
            why = "fentry/fexit (kfunc) programs are not supported by bpf4j bt (and this kernel refuses them)";
        }
        List<String> alternatives = new ArrayList<>();
        String syscall = syscallOf(function);
        if (syscall != null) {
            // glibc's nanosleep() and others enter the kernel through the clock_ variant of the system call
            for (String call : List.of(syscall, "clock_" + syscall)) {
                String tp = (ret ? "sys_exit_" : "sys_enter_") + call;
                if (catalog.tracepointFormat("syscalls", tp).isPresent()) alternatives.add("syscalls:" + tp);
            }
        }
        for (String tp : catalog.tracepoints()) {
            if (tp.endsWith(":" + function)) alternatives.add(tp);
        }
        if (!alternatives.isEmpty()) {
            return new SourceException(ap.position(), why + "; use " + String.join(" or ",
                    alternatives.stream().map(tp -> "tracepoint:" + tp).toList()) + " instead");
        }
        return new SourceException(ap.position(), why + "; use a tracepoint (bpf4j bt -l 'tracepoint:*') where one "
                + "serves");
    }

    /**
     * The system call a kernel function implements or serves, e.g. {@code __x64_sys_openat}, {@code do_sys_openat2},
     * {@code vfs_read} (read), {@code do_nanosleep} (nanosleep).
     */
    static String syscallOf(String function) {
        for (String prefix : List.of("__x64_sys_", "__ia32_sys_", "__se_sys_", "__do_sys_", "ksys_", "sys_",
                "do_sys_", "vfs_", "do_")) {
            if (function.startsWith(prefix) && function.length() > prefix.length()) {
                String name = function.substring(prefix.length());
                // do_sys_openat2 and vfs_open serve open, openat and openat2: the tracepoint of the common one
                boolean anyOpen = name.equals("open") && (prefix.equals("do_sys_") || prefix.equals("vfs_"));
                return name.equals("openat2") || anyOpen ? "openat" : name;
            }
        }
        return null;
    }

    /** {@code PATTERN} with a provider alias before its first colon ({@code t:}, {@code u:}…) written out. */
    public static String expandProviderAlias(String pattern) {
        int colon = pattern.indexOf(':');
        if (colon < 0) return pattern;
        String provider = pattern.substring(0, colon);
        return PROVIDER_ALIASES.getOrDefault(provider, provider) + pattern.substring(colon);
    }

    private static boolean isGlob(String s) {
        return s.contains("*") || s.contains("?");
    }

    /** A shell-style wildcard pattern ({@code *}, {@code ?}) as a regular expression. */
    public static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    private static void requireParts(AttachPoint ap, int n, String form) {
        if (ap.parts().size() != n) throw new SourceException(ap.position(), "expected " + form + ", found '"
                + ap.text() + "'");
    }

    private static long number(AttachPoint ap, String text) {
        try {
            long n = Long.parseLong(text.replace("_", ""));
            if (n <= 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new SourceException(ap.position(), "expected a positive integer in " + ap.text() + ", found '"
                    + text + "'");
        }
    }

    // ---- statements ----

    private void statements(List<Stmt> stmts) {
        for (Stmt s : stmts) statement(s);
    }

    private void statement(Stmt s) {
        switch (s) {
            case Stmt.ExprStmt e -> {
                if (e.expr() instanceof Expr.Ternary t && t.then() instanceof Expr.Call
                        && t.otherwise() instanceof Expr.Call) {
                    requireInt(t.condition(), "a ternary condition");
                    expr(t.then());
                    expr(t.otherwise());
                    types.put(t, new Type.None());
                } else {
                    expr(e.expr());
                }
            }
            case Stmt.AssignVar a -> {
                Type t = expr(a.value());
                if (t instanceof Type.None) throw new SourceException(a.value().position(), "this call has no value");
                Type old = variables.get(a.target().name());
                Type merged = old == null ? t : unify(old, t, a.position(), "variable " + a.target().name());
                variables.put(a.target().name(), merged);
                types.put(a.target(), merged);
            }
            case Stmt.AssignMap a -> assignMap(a);
            case Stmt.If i -> {
                requireInt(i.condition(), "an if condition");
                statements(i.then());
                statements(i.otherwise());
            }
            case Stmt.Unroll u -> {
                long n = unrollCount(u);
                if (n > 100) throw new SourceException(u.position(), "unroll maximum value is 100");
                if (n < 1) throw new SourceException(u.position(), "unroll minimum value is 1");
                statements(u.body());
            }
            case Stmt.While w -> {
                requireInt(w.condition(), "a while condition");
                loops++;
                statements(w.body());
                loops--;
            }
            case Stmt.Jump j -> {
                if (loops == 0) throw new SourceException(j.position(), (j.isBreak() ? "break" : "continue")
                        + " outside a while loop");
            }
            case Stmt.Return r -> {
            }
        }
    }

    /** An unroll's count: an integer literal or a positional parameter. */
    public long unrollCount(Stmt.Unroll u) {
        return switch (u.count()) {
            case Expr.IntLiteral i -> i.value();
            case Expr.Positional p when isInteger(positional(p.index())) -> Long.decode(positional(p.index()));
            default -> throw new SourceException(u.count().position(), "unroll's count must be an integer literal "
                    + "or a positional parameter");
        };
    }

    private void assignMap(Stmt.AssignMap a) {
        Expr.MapAccess target = a.target();
        List<Type> keys = keyTypes(target);
        if (a.value() instanceof Expr.Call call && AGGREGATIONS.contains(call.name())) {
            MapInfo info = aggregation(call, target.name(), keys);
            declare(info, a.position());
            types.put(call, new Type.None());
        } else {
            Type t = expr(a.value());
            if (t instanceof Type.None) throw new SourceException(a.value().position(), "this call has no value");
            declare(new MapInfo(target.name(), keys, MapKind.VALUE, t, 0, 0, 0), a.position());
        }
        types.put(target, valueType(maps.get(target.name())));
    }

    private MapInfo aggregation(Expr.Call call, String map, List<Type> keys) {
        List<Expr> args = call.args();
        MapKind kind = MapKind.valueOf(call.name().toUpperCase(java.util.Locale.ROOT));
        int arity = switch (kind) {
            case COUNT -> 0;
            case LHIST -> 4;
            default -> 1;
        };
        if (args.size() != arity) throw new SourceException(call.position(), call.name() + "() takes " + arity
                + (arity == 1 ? " argument" : " arguments") + ", not " + args.size());
        for (Expr arg : args) requireInt(arg, call.name() + "()'s argument");
        boolean signed = !args.isEmpty() && types.get(args.getFirst()) instanceof Type.Int i && i.signed();
        long min = 0;
        long max = 0;
        long step = 0;
        if (kind == MapKind.LHIST) {
            min = literal(args.get(1), "lhist's min");
            max = literal(args.get(2), "lhist's max");
            step = literal(args.get(3), "lhist's step");
            if (step <= 0) throw new SourceException(args.get(3).position(), "lhist's step must be > 0");
            if (max <= min) throw new SourceException(args.get(2).position(), "lhist's max must be > its min");
            if ((max - min) / step > 1000) throw new SourceException(args.get(3).position(),
                    "lhist would have more than 1000 buckets: raise the step");
        }
        return new MapInfo(map, keys, kind, new Type.Int(8, signed), min, max, step);
    }

    private static long literal(Expr e, String what) {
        if (e instanceof Expr.IntLiteral lit) return lit.value();
        throw new SourceException(e.position(), what + " must be an integer literal");
    }

    private List<Type> keyTypes(Expr.MapAccess m) {
        List<Type> keys = new ArrayList<>();
        for (Expr k : m.keys()) {
            Type t = expr(k);
            if (t instanceof Type.None) throw new SourceException(k.position(), "this call has no value");
            keys.add(t instanceof Type.Int || t instanceof Type.Ptr ? Type.Int.U64 : t);
        }
        return keys;
    }

    private void declare(MapInfo info, Position at) {
        MapInfo old = maps.get(info.name());
        if (old == null) {
            maps.put(info.name(), info);
            return;
        }
        if (old.keys().size() != info.keys().size()) {
            throw new SourceException(at, "map " + info.name() + " is used with " + info.keys().size()
                    + (info.keys().size() == 1 ? " key" : " keys") + " here and " + old.keys().size() + " elsewhere");
        }
        if (old.kind() != info.kind()) {
            throw new SourceException(at, "map " + info.name() + " holds " + describe(old.kind())
                    + " elsewhere; it cannot hold " + describe(info.kind()) + " here");
        }
        if (old.kind() == MapKind.LHIST && (old.lhistMin() != info.lhistMin() || old.lhistMax() != info.lhistMax()
                || old.lhistStep() != info.lhistStep())) {
            throw new SourceException(at, "map " + info.name() + " is an lhist with other bounds elsewhere");
        }
        List<Type> keys = new ArrayList<>();
        for (int i = 0; i < old.keys().size(); i++) {
            keys.add(unify(old.keys().get(i), info.keys().get(i), at, "key " + (i + 1) + " of map " + info.name()));
        }
        Type value = unify(old.value(), info.value(), at, "the value of map " + info.name());
        maps.put(info.name(), new MapInfo(info.name(), keys, old.kind(), value, old.lhistMin(), old.lhistMax(),
                old.lhistStep()));
    }

    private static String describe(MapKind kind) {
        return kind == MapKind.VALUE ? "assigned values" : kind.name().toLowerCase(java.util.Locale.ROOT) + "()";
    }

    private static Type unify(Type a, Type b, Position at, String what) {
        if (a instanceof Type.Str sa && b instanceof Type.Str sb) return new Type.Str(Math.max(sa.size(), sb.size()));
        if (a instanceof Type.Buf ba && b instanceof Type.Buf bb) return new Type.Buf(Math.max(ba.length(), bb.length()));
        if (a instanceof Type.Int ia && b instanceof Type.Int ib) return new Type.Int(8, ia.signed() && ib.signed());
        if (a instanceof Type.Ptr && b instanceof Type.Int || a instanceof Type.Int && b instanceof Type.Ptr) {
            return Type.Int.U64;
        }
        if (a instanceof Type.Tuple ta && b instanceof Type.Tuple tb && ta.elements().size() == tb.elements().size()) {
            List<Type> elems = new ArrayList<>();
            for (int i = 0; i < ta.elements().size(); i++) {
                Type x = ta.elements().get(i);
                Type y = tb.elements().get(i);
                elems.add(x instanceof Type.Int && y instanceof Type.Int ? x : unify(x, y, at, what));
            }
            return new Type.Tuple(elems);
        }
        if (a.equals(b)) return a;
        throw new SourceException(at, what + " is " + name(a) + " elsewhere but " + name(b) + " here");
    }

    static String name(Type t) {
        return switch (t) {
            case Type.Int i -> "an integer";
            case Type.Ptr p -> "a pointer";
            case Type.Record r -> r.name().isEmpty() ? "a struct" : r.name();
            case Type.Array a -> "an array";
            case Type.Tuple u -> "a tuple";
            case Type.Named n -> n.name();
            case Type.Buf b -> "a buffer";
            case Type.Timestamp ts -> "a timestamp";
            case Type.Formatted f -> switch (f.kind()) {
                case INET -> "an address";
                case MAC -> "a MAC address";
                case USYM, KSYM -> "a symbol";
                case USERNAME -> "a user name";
            };
            case Type.Str s -> "a string";
            case Type.Stack s -> s.user() ? "a user stack" : "a kernel stack";
            case Type.None n -> "nothing";
        };
    }

    private static Type valueType(MapInfo info) {
        return switch (info.kind()) {
            case VALUE -> info.value();
            case COUNT -> Type.Int.U64;
            default -> new Type.Int(8, ((Type.Int) info.value()).signed());
        };
    }

    // ---- expressions ----

    private void requireInt(Expr e, String what) {
        Type t = expr(e);
        if (!(t instanceof Type.Int) && !(t instanceof Type.Ptr)) throw new SourceException(e.position(), what + " must be an integer, not "
                + name(t));
    }

    private Type expr(Expr e) {
        Type t = typeOf(e);
        types.put(e, t);
        return t;
    }

    private Type typeOf(Expr e) {
        return switch (e) {
            case Expr.IntLiteral i -> Type.Int.S64;
            case Expr.StringLiteral s -> Type.Str.holding(s.value().getBytes(java.nio.charset.StandardCharsets.UTF_8)
                    .length + 1);
            case Expr.Positional p -> {
                if (p.index() == 0) yield Type.Int.S64;
                String v = p.index() <= positionals.size() ? positionals.get(p.index() - 1) : "0";
                yield isInteger(v) ? Type.Int.S64 : Type.Str.holding(v.length() + 1);
            }
            case Expr.Variable v -> {
                Type t = variables.get(v.name());
                if (t == null) throw new SourceException(v.position(), "variable " + v.name()
                        + " is used before it is assigned");
                yield t;
            }
            case Expr.MapAccess m -> {
                keyTypes(m);
                MapInfo info = maps.get(m.name());
                if (info == null) {
                    if (lastPass) throw new SourceException(m.position(), "undefined map: " + m.name());
                    yield Type.Int.U64;
                }
                if (info.keys().size() != m.keys().size()) {
                    throw new SourceException(m.position(), "map " + m.name() + " has " + info.keys().size()
                            + (info.keys().size() == 1 ? " key" : " keys") + ", not " + m.keys().size());
                }
                if (info.kind().bucketed() || info.kind() == MapKind.AVG || info.kind() == MapKind.STATS) {
                    throw new SourceException(m.position(), "the value of a " + describe(info.kind())
                            + " map cannot be read in a program: print it");
                }
                yield valueType(info);
            }
            case Expr.Builtin b -> builtin(b);
            case Expr.Binary b -> binary(b);
            case Expr.Unary u when u.op().equals("*") -> {
                Type t = expr(u.operand());
                if (!(t instanceof Type.Ptr p)) throw new SourceException(u.position(), "only a pointer can be "
                        + "dereferenced, not " + name(t) + "; cast it first, e.g. *(uint32 *)x");
                yield target(p, u.position());
            }
            case Expr.Unary u when u.op().equals("&") -> throw new SourceException(u.position(),
                    "the address-of operator & is not supported");
            case Expr.Unary u -> {
                requireInt(u.operand(), "the operand of " + u.op());
                yield u.op().equals("!") ? Type.Int.S64 : types.get(u.operand()) instanceof Type.Int i
                        ? new Type.Int(8, i.signed()) : Type.Int.U64;
            }
            case Expr.Ternary t -> {
                requireInt(t.condition(), "a ternary condition");
                Type a = expr(t.then());
                Type b = expr(t.otherwise());
                yield unify(a, b, t.position(), "the ternary's value");
            }
            case Expr.Call c -> call(c);
            case Expr.Field f -> field(f);
            case Expr.Cast c -> cast(c);
            case Expr.Index i -> index(i);
            case Expr.Tuple t -> {
                List<Type> elems = new ArrayList<>();
                for (Expr x : t.elements()) {
                    Type et = expr(x);
                    if (et instanceof Type.None) throw new SourceException(x.position(), "this call has no value");
                    elems.add(et instanceof Type.Ptr ? Type.Int.U64 : et);
                }
                yield new Type.Tuple(elems);
            }
            case Expr.SizeOf z -> {
                if (z.operand() != null) expr(z.operand());
                yield Type.Int.U64;
            }
            case Expr.Increment i -> {
                if (!(i.target() instanceof Expr.Variable) && !(i.target() instanceof Expr.MapAccess)) {
                    throw new SourceException(i.position(), "only a map or a variable can be incremented");
                }
                Type t = expr(i.target());
                if (!(t instanceof Type.Int) && !(t instanceof Type.Ptr)) {
                    throw new SourceException(i.position(), "only integers and pointers can be incremented");
                }
                yield t;
            }
        };
    }

    /** The size {@code sizeof} gives. */
    public int sizeOf(Expr.SizeOf z) {
        if (z.operand() != null) return types.get(z.operand()).cSize();
        return ctypeOf(z.type(), z.position()).cSize();
    }

    private Type ctypeOf(String text, Position at) {
        try {
            return ctypes.resolve(ctypes.parse(text));
        } catch (IllegalArgumentException e) {
            throw new SourceException(at, e.getMessage());
        }
    }

    private Type cast(Expr.Cast c) {
        Type operand = expr(c.operand());
        Type t;
        try {
            t = ctypes.parse(c.type());
        } catch (IllegalArgumentException e) {
            throw new SourceException(c.position(), e.getMessage());
        }
        if (t instanceof Type.Named n) t = ctypeOf(n.name(), c.position());
        if (!(t instanceof Type.Int) && !(t instanceof Type.Ptr)) {
            throw new SourceException(c.position(), "cannot cast to " + name(t) + ": only to integer and pointer "
                    + "types");
        }
        if (!(operand instanceof Type.Int) && !(operand instanceof Type.Ptr)) {
            throw new SourceException(c.operand().position(), "cannot cast " + name(operand) + " to " + c.type());
        }
        return t;
    }

    /** What a pointer points to, struct names resolved. */
    private Type target(Type.Ptr p, Position at) {
        try {
            return ctypes.resolve(p.target());
        } catch (IllegalArgumentException e) {
            throw new SourceException(at, e.getMessage());
        }
    }

    /** A {@code char} array is a string, as in bpftrace. */
    private static Type charArray(Type t) {
        return isCharArray(t) ? Type.Str.holding(((Type.Array) t).count() + 1) : t;
    }

    /** Whether {@code t} is an array of {@code char}. */
    public static boolean isCharArray(Type t) {
        return t instanceof Type.Array a && a.element() instanceof Type.Int i && i.bytes() == 1 && i.signed();
    }

    private Type index(Expr.Index i) {
        Type t = expr(i.target());
        requireInt(i.index(), "an index");
        return switch (t) {
            case Type.Ptr p -> target(p, i.position());
            case Type.Array a -> {
                if (i.index() instanceof Expr.IntLiteral lit && a.count() > 0 && lit.value() >= a.count()) {
                    throw new SourceException(i.position(), "the index " + lit.value()
                            + " is out of bounds for array of size " + a.count());
                }
                yield a.element() instanceof Type.Named n ? ctypeOf(n.name(), i.position()) : charArray(a.element());
            }
            default -> throw new SourceException(i.position(), name(t) + " cannot be indexed");
        };
    }

    static boolean isInteger(String s) {
        return s.matches("-?(0x[0-9a-fA-F]+|\\d+)");
    }

    private Type builtin(Expr.Builtin b) {
        String n = b.name();
        if (n.equals("comm")) return new Type.Str(16);
        if (n.equals("probe") || n.equals("func")) {
            if (n.equals("func") && !targets.stream().allMatch(t -> t instanceof ProbeTarget.Uprobe)) {
                throw new SourceException(b.position(), "func is only available in uprobes");
            }
            if (n.equals("func")) return new Type.Str(Type.Str.DEFAULT);
            // bpftrace prints a probe's whole name, which a binary's path can make longer than a string's default;
            // string sizes stay multiples of 8, as the stack slots they are built in
            int longest = targets.stream().mapToInt(t -> t.name().getBytes(StandardCharsets.UTF_8).length + 1).max()
                    .orElse(0);
            return new Type.Str(Math.max(Type.Str.DEFAULT, (longest + 7) & ~7));
        }
        if (n.equals("kstack") || n.equals("ustack")) return new Type.Stack(n.equals("ustack"));
        if (n.equals("curtask")) return new Type.Ptr(new Type.Named("struct task_struct"));
        if (n.equals("ctx")) return new Type.Ptr(new Type.Int(1, false));
        if (n.equals("args")) throw new SourceException(b.position(), "args is a struct: read a field, args->NAME");
        if (n.matches("sarg\\d+")) {
            if (!targets.stream().allMatch(t -> t instanceof ProbeTarget.Uprobe u && !u.ret())) {
                throw new SourceException(b.position(), n + " is only available in uprobes");
            }
            return Type.Int.U64;
        }
        if (n.matches("arg\\d+") && !targets.isEmpty()
                && targets.stream().allMatch(t -> t instanceof ProbeTarget.Usdt)) {
            int index = Integer.parseInt(n.substring(3));
            for (ProbeTarget t : targets) {
                io.bpf4j.core.link.Usdt.Probe site = ((ProbeTarget.Usdt) t).site();
                if (index >= site.args().size()) throw new SourceException(b.position(), t.name() + " has "
                        + site.args().size() + " arguments; there is no " + n);
                if (site.args().get(index).kind() == io.bpf4j.core.link.Usdt.Kind.UNSUPPORTED) {
                    throw new SourceException(b.position(), n + " of " + t.name() + " is at '"
                            + site.args().get(index).spec() + "', a location bpf4j bt cannot read yet");
                }
            }
            return Type.Int.S64;
        }
        if (n.startsWith("arg") || n.equals("retval")) {
            boolean ok = n.equals("retval")
                    ? targets.stream().allMatch(t -> t instanceof ProbeTarget.Uprobe u && u.ret())
                    : targets.stream().allMatch(t -> t instanceof ProbeTarget.Uprobe u && !u.ret());
            if (!ok) throw new SourceException(b.position(), n + " is only available in "
                    + (n.equals("retval") ? "uretprobes" : "uprobes") + "; tracepoints have args->FIELD");
        }
        if (INT_BUILTINS.contains(n)) return Type.Int.U64;
        if (n.equals("username")) return new Type.Formatted(Type.Formatted.Kind.USERNAME);
        // an enumerator of the kernel's, as in C: a 64-bit constant
        if (ctypes.enumValue(n).isPresent()) return Type.Int.S64;
        throw new SourceException(b.position(), "unknown identifier '" + n + "'");
    }

    private Type binary(Expr.Binary b) {
        Type l = expr(b.left());
        Type r = expr(b.right());
        if ((b.op().equals("==") || b.op().equals("!=")) && l instanceof Type.Buf && r instanceof Type.Buf) {
            return Type.Int.S64;
        }
        if ((b.op().equals("==") || b.op().equals("!=")) && l instanceof Type.Str && r instanceof Type.Str) {
            return Type.Int.S64;
        }
        if ((b.op().equals("==") || b.op().equals("!=")) && l instanceof Type.Array && l.equals(r)) {
            return Type.Int.S64;
        }
        if (l instanceof Type.Ptr && !(r instanceof Type.Ptr) && (b.op().equals("+") || b.op().equals("-"))) {
            requireInt(b.right(), "a pointer offset");
            return l;
        }
        if (!(l instanceof Type.Int) && !(l instanceof Type.Ptr)) throw new SourceException(b.left().position(),
                "the left operand of " + b.op() + " must be an integer, not " + name(l));
        if (!(r instanceof Type.Int) && !(r instanceof Type.Ptr)) throw new SourceException(b.right().position(),
                "the right operand of " + b.op() + " must be an integer, not " + name(r));
        boolean signed = l instanceof Type.Int li && li.signed() && r instanceof Type.Int ri && ri.signed();
        return switch (b.op()) {
            case "==", "!=", "<", ">", "<=", ">=", "&&", "||" -> Type.Int.S64;
            default -> new Type.Int(8, signed);
        };
    }

    private Type field(Expr.Field f) {
        if (!(f.target() instanceof Expr.Builtin b) || !b.name().equals("args")) {
            Type t = expr(f.target());
            if (f.arrow()) {
                if (!(t instanceof Type.Ptr p)) throw new SourceException(f.position(), "-> needs a pointer to a "
                        + "struct, not " + name(t));
                t = target(p, f.position());
            }
            if (t instanceof Type.Tuple tu) {
                int i = f.field().matches("\\d+") ? Integer.parseInt(f.field()) : -1;
                if (i < 0 || i >= tu.elements().size()) throw new SourceException(f.position(), "the tuple has no "
                        + "element " + f.field() + "; it has " + tu.elements().size());
                return tu.elements().get(i);
            }
            if (!(t instanceof Type.Record r)) throw new SourceException(f.position(), name(t) + " has no fields"
                    + (t instanceof Type.Ptr ? "; use -> on a pointer" : ""));
            Type.Member m = r.member(f.field()).orElseThrow(() -> new SourceException(f.position(), name(r)
                    + " has no field '" + f.field() + "'"));
            return m.type() instanceof Type.Named n ? ctypeOf(n.name(), f.position()) : charArray(m.type());
        }
        types.put(b, new Type.None());
        Type result = null;
        for (ProbeTarget t : targets) {
            if (t instanceof ProbeTarget.Uprobe u && !u.ret()) {
                UprobeArgs.Arg arg = uprobeArg(u, f);
                result = result == null ? arg.type() : unify(result, arg.type(), f.position(), "args->" + f.field());
                continue;
            }
            if (!(t instanceof ProbeTarget.Tracepoint tp)) {
                throw new SourceException(b.position(), "args is only available in tracepoints and uprobes, not in "
                        + t.name());
            }
            TracepointFormat.Field field = tp.format().field(f.field()).orElseThrow(() -> new SourceException(
                    f.position(), t.name() + " has no field '" + f.field() + "'; it has: " + String.join(", ",
                    tp.format().fields().stream().map(TracepointFormat.Field::name).toList())));
            Type ft = fieldType(field);
            if (ft instanceof Type.Int && field.cType().contains("*") && !field.cType().contains("char")) {
                ft = pointerField(field.cType());
            }
            result = result == null ? ft : unify(result, ft, f.position(), "args->" + f.field());
        }
        return result;
    }

    /** The argument {@code args->NAME} of a uprobe names, from its binary's DWARF. */
    public static UprobeArgs.Arg uprobeArg(ProbeTarget.Uprobe u, Expr.Field f) {
        List<UprobeArgs.Arg> args = UprobeArgs.of(u.binary(), u.symbol()).orElseThrow(() -> new SourceException(
                f.position(), "args needs debug information: " + u.binary() + " has no DWARF for " + u.symbol()
                + " (build it with -g, or read arg0…arg5)"));
        UprobeArgs.Arg arg = args.stream().filter(a -> a.name().equals(f.field())).findFirst().orElseThrow(() ->
                new SourceException(f.position(), u.symbol() + " has no argument '" + f.field() + "'; it has: "
                        + String.join(", ", args.stream().map(UprobeArgs.Arg::name).toList())));
        if (arg.index() >= UprobeArgs.REGISTER_ARGS || !(arg.type() instanceof Type.Int || arg.type() instanceof
                Type.Ptr)) {
            throw new SourceException(f.position(), "args->" + f.field() + " of " + u.symbol() + " is not passed in a "
                    + "register (argument " + (arg.index() + 1) + ", " + arg.cType() + "): bpf4j bt cannot read it");
        }
        return arg;
    }

    /** A pointer field's type from its C declaration, e.g. {@code struct rusage *}; an integer when unknown. */
    private Type pointerField(String cType) {
        String t = cType.replace("const ", "").replace("__user", "").replace("volatile ", "").strip();
        try {
            Type parsed = ctypes.parse(t);
            if (parsed instanceof Type.Ptr p && p.target() instanceof Type.Named n && ctypes.record(n.name()).isEmpty()) {
                return Type.Int.U64;
            }
            return parsed;
        } catch (IllegalArgumentException unknown) {
            return Type.Int.U64;
        }
    }

    /** A tracepoint field's type: char arrays and {@code __data_loc} strings are strings, the rest integers. */
    public static Type fieldType(TracepointFormat.Field field) {
        if (field.dataLoc()) return new Type.Str(Type.Str.DEFAULT);
        if (field.charArray()) return Type.Str.holding(field.size());
        boolean signed = field.signed() || field.cType().equals("int") || field.cType().equals("long");
        return new Type.Int(Math.min(field.size(), 8), signed && !field.cType().contains("*"));
    }

    private Type call(Expr.Call c) {
        List<Expr> args = c.args();
        switch (c.name()) {
            case "printf" -> {
                formatted(c);
                return new Type.None();
            }
            case "print" -> {
                if (args.isEmpty() || args.size() > 3) throw new SourceException(c.position(), "print() takes a map "
                        + "(and, for a map, how many of its top elements to print and a divisor) or a value");
                Expr a = args.getFirst();
                if (args.size() > 1 && !(a instanceof Expr.MapAccess)) {
                    throw new SourceException(c.position(), "print()'s top and divisor arguments are for maps");
                }
                for (Expr extra : args.subList(1, args.size())) {
                    literal(extra, "print()'s top and divisor");
                    types.put(extra, Type.Int.S64);
                }
                if (a instanceof Expr.MapAccess m && m.keys().isEmpty() && maps.containsKey(m.name())) {
                    types.put(a, new Type.None());
                } else if (a instanceof Expr.MapAccess m && m.keys().isEmpty() && !lastPass) {
                    types.put(a, new Type.None());
                } else {
                    Type t = expr(a);
                    if (t instanceof Type.None) throw new SourceException(a.position(), "this call has no value");
                }
                return new Type.None();
            }
            case "clear", "zero" -> {
                arity(c, 1);
                if (!(args.getFirst() instanceof Expr.MapAccess m) || !m.keys().isEmpty()) {
                    throw new SourceException(c.position(), c.name() + "() takes a whole map: " + c.name() + "(@name)");
                }
                if (lastPass && !maps.containsKey(m.name())) {
                    throw new SourceException(m.position(), "undefined map: " + m.name());
                }
                types.put(m, new Type.None());
                return new Type.None();
            }
            case "delete" -> {
                arity(c, 1);
                if (!(args.getFirst() instanceof Expr.MapAccess m)) {
                    throw new SourceException(c.position(), "delete() takes a map element: delete(@name[key])");
                }
                keyTypes(m);
                if (lastPass && !maps.containsKey(m.name())) {
                    throw new SourceException(m.position(), "undefined map: " + m.name());
                }
                types.put(m, new Type.None());
                return new Type.None();
            }
            case "exit" -> {
                arity(c, 0);
                return new Type.None();
            }
            case "time" -> {
                if (args.size() > 1 || args.size() == 1 && !(args.getFirst() instanceof Expr.StringLiteral)) {
                    throw new SourceException(c.position(), "time() takes a format string literal, or nothing");
                }
                if (args.size() == 1) types.put(args.getFirst(), Type.Str.holding(1));
                return new Type.None();
            }
            case "system", "cat" -> {
                if (c.name().equals("system") && !unsafe) {
                    throw new SourceException(c.position(), "system() is an unsafe function: run with --unsafe");
                }
                formatted(c);
                return new Type.None();
            }
            case "buf" -> {
                if (args.isEmpty() || args.size() > 2) throw new SourceException(c.position(), "buf() takes 1 or 2 "
                        + "arguments: buf(data, length)");
                Type t = expr(args.getFirst());
                long n;
                if (args.size() == 2) {
                    constantArg(args.get(1), "buf()'s length");
                    n = args.get(1) instanceof Expr.IntLiteral lit ? lit.value()
                            : Long.decode(positional(((Expr.Positional) args.get(1)).index()));
                } else if (t instanceof Type.Array || t instanceof Type.Str && args.getFirst() instanceof Expr.Field) {
                    n = t instanceof Type.Array ? t.cSize() : ((Type.Str) t).size();
                } else {
                    throw new SourceException(c.position(), "buf() needs a length unless its data is an array");
                }
                if (n < 1 || n > 200) throw new SourceException(c.position(), "buf()'s length must be 1 to 200");
                if (t instanceof Type.Record || t instanceof Type.Tuple || t instanceof Type.None) {
                    throw new SourceException(args.getFirst().position(), "buf() takes a pointer, an array or a "
                            + "string");
                }
                return new Type.Buf((int) n);
            }
            case "reg" -> {
                arity(c, 1);
                if (!(args.getFirst() instanceof Expr.StringLiteral r) || regOffset(r.value()) < 0) {
                    throw new SourceException(c.position(), "reg() takes an x86-64 register name: ip, sp, bp, ax, "
                            + "bx, cx, dx, si, di, r8…r15");
                }
                types.put(r, Type.Str.holding(1));
                return Type.Int.U64;
            }
            case "strftime" -> {
                arity(c, 2);
                if (!(args.getFirst() instanceof Expr.StringLiteral fmt)) {
                    throw new SourceException(c.position(), "strftime()'s format must be a string literal");
                }
                types.put(fmt, Type.Str.holding(1));
                requireInt(args.get(1), "strftime()'s time");
                return new Type.Timestamp(fmt.value());
            }
            case "pton" -> {
                arity(c, 1);
                String addr = constantString(args.getFirst());
                expr(args.getFirst());
                if (addr == null) throw new SourceException(c.position(), "pton() takes an address string literal");
                try {
                    byte[] b = java.net.InetAddress.ofLiteral(addr).getAddress();
                    return new Type.Array(new Type.Int(1, false), b.length);
                } catch (IllegalArgumentException e) {
                    throw new SourceException(c.position(), "pton(): '" + addr + "' is not an IPv4 or IPv6 address");
                }
            }
            case "ntop" -> {
                if (args.isEmpty() || args.size() > 2) throw new SourceException(c.position(), "ntop() takes an "
                        + "address, or an address family and an address");
                if (args.size() == 2) requireInt(args.getFirst(), "ntop()'s address family");
                Type t = expr(args.getLast());
                if (!(t instanceof Type.Int) && !(t instanceof Type.Array) && !(t instanceof Type.Str)) {
                    throw new SourceException(args.getLast().position(), "ntop() takes an integer or an array");
                }
                return new Type.Formatted(Type.Formatted.Kind.INET);
            }
            case "join" -> {
                if (args.isEmpty() || args.size() > 2) throw new SourceException(c.position(), "join() takes an "
                        + "array of strings (char **) and an optional delimiter");
                requireInt(args.getFirst(), "join()'s array");
                if (args.size() == 2) {
                    if (!(args.get(1) instanceof Expr.StringLiteral d)) throw new SourceException(args.get(1).position(),
                            "join()'s delimiter must be a string literal");
                    types.put(d, Type.Str.holding(d.value().length() + 1));
                }
                return new Type.None();
            }
            case "usym", "ksym" -> {
                arity(c, 1);
                requireInt(args.getFirst(), c.name() + "()'s address");
                return new Type.Formatted(c.name().equals("usym") ? Type.Formatted.Kind.USYM : Type.Formatted.Kind.KSYM);
            }
            case "macaddr" -> {
                arity(c, 1);
                Type t = expr(args.getFirst());
                if (!(t instanceof Type.Array) && !(t instanceof Type.Str) && !(t instanceof Type.Ptr)) {
                    throw new SourceException(args.getFirst().position(), "macaddr() takes an array or a pointer");
                }
                return new Type.Formatted(Type.Formatted.Kind.MAC);
            }
            case "strncmp" -> {
                arity(c, 3);
                requireStr(args.get(0), "strncmp()'s first argument");
                requireStr(args.get(1), "strncmp()'s second argument");
                constantArg(args.get(2), "strncmp()'s length");
                return Type.Int.S64;
            }
            case "strcontains" -> {
                arity(c, 2);
                requireStr(args.get(0), "strcontains()'s first argument");
                requireStr(args.get(1), "strcontains()'s second argument");
                return Type.Int.S64;
            }
            case "bswap" -> {
                arity(c, 1);
                requireInt(args.getFirst(), "bswap()'s argument");
                Type t = types.get(args.getFirst());
                return t instanceof Type.Int i ? new Type.Int(i.bytes(), false) : Type.Int.U64;
            }
            case "signal" -> {
                arity(c, 1);
                if (args.getFirst() instanceof Expr.StringLiteral sig) {
                    signalNumber(sig);
                    types.put(sig, Type.Str.holding(1));
                } else {
                    requireInt(args.getFirst(), "signal()'s argument");
                }
                return new Type.None();
            }
            case "uptr", "kptr" -> {
                // marks the address space a pointer is in; the legacy read helpers follow either on x86-64
                arity(c, 1);
                Type t = expr(args.getFirst());
                if (!(t instanceof Type.Int) && !(t instanceof Type.Ptr)) {
                    throw new SourceException(args.getFirst().position(), c.name() + "() takes a pointer");
                }
                return t;
            }
            case "kaddr" -> {
                arity(c, 1);
                Type t = expr(args.getFirst());
                String sym = constantString(args.getFirst());
                if (!(t instanceof Type.Str) || sym == null) {
                    throw new SourceException(c.position(), "kaddr() takes a symbol name as a string literal");
                }
                if (KernelSymbolAddress.of(sym).isEmpty()) {
                    throw new SourceException(c.position(), "Failed to resolve kernel symbol: " + sym);
                }
                return Type.Int.U64;
            }
            case "str" -> {
                if (args.isEmpty() || args.size() > 2) {
                    throw new SourceException(c.position(), "str() takes 1 or 2 arguments");
                }
                String constant = args.getFirst() instanceof Expr.Positional
                        || args.getFirst() instanceof Expr.Binary ? constantString(args.getFirst()) : null;
                if (constant != null) {
                    // str($1) of a number is its text; str($1 + N) of a string skips N characters
                    types.put(args.getFirst(), Type.Str.holding(constant.length() + 1));
                    return Type.Str.holding(constant.length() + 1);
                }
                Type t = expr(args.getFirst());
                int size = Type.Str.DEFAULT;
                if (args.size() == 2) {
                    long n = literal(args.get(1), "str()'s length");
                    if (n < 1 || n > 200) throw new SourceException(args.get(1).position(),
                            "str()'s length must be 1 to 200");
                    types.put(args.get(1), Type.Int.S64);
                    size = (int) n;
                }
                if (t instanceof Type.Str s) return args.size() == 2 ? Type.Str.holding(size) : s;
                if (!(t instanceof Type.Int) && !(t instanceof Type.Ptr)) {
                    throw new SourceException(args.getFirst().position(), "str() takes a pointer or a string");
                }
                return Type.Str.holding(size);
            }
            case "kstack", "ustack" -> {
                arity(c, 0);
                return new Type.Stack(c.name().equals("ustack"));
            }
            default -> {
                if (AGGREGATIONS.contains(c.name())) {
                    throw new SourceException(c.position(), c.name() + "() must be assigned to a map: @name = "
                            + c.name() + "(" + (c.name().equals("count") ? "" : "…") + ")");
                }
                throw new SourceException(c.position(), "unknown function '" + c.name() + "'");
            }
        }
    }

    /** A format string literal and its arguments, checked as printf's. */
    private void formatted(Expr.Call c) {
        List<Expr> args = c.args();
        if (args.isEmpty() || !(args.getFirst() instanceof Expr.StringLiteral fmt)) {
            throw new SourceException(c.position(), c.name() + "()'s first argument must be a string literal");
        }
        types.put(fmt, Type.Str.holding(fmt.value().length() + 1));
        List<Type> argTypes = new ArrayList<>();
        for (Expr a : args.subList(1, args.size())) {
            Type t = expr(a);
            if (t instanceof Type.None) throw new SourceException(a.position(), "this call has no value");
            argTypes.add(t);
        }
        try {
            checkFormat(fmt.value(), argTypes);
        } catch (IllegalArgumentException e) {
            throw new SourceException(c.position(), e.getMessage().replace("printf", c.name()));
        }
    }

    private void requireStr(Expr e, String what) {
        Type t = expr(e);
        if (!(t instanceof Type.Str)) throw new SourceException(e.position(), what + " must be a string, not "
                + name(t));
    }

    /** An integer known when compiling: a literal or a positional parameter. */
    private void constantArg(Expr e, String what) {
        Type t = expr(e);
        boolean constant = e instanceof Expr.IntLiteral
                || e instanceof Expr.Positional p && isInteger(positional(p.index()));
        if (!constant || !(t instanceof Type.Int)) throw new SourceException(e.position(), what
                + " must be an integer literal or a positional parameter");
    }

    /** The value of a string known when compiling (a literal, a positional parameter, str() of one), or null. */
    public String constantString(Expr e) {
        return switch (e) {
            case Expr.StringLiteral s -> s.value();
            case Expr.Positional p -> positional(p.index());
            case Expr.Call c when c.name().equals("str") && c.args().size() == 1 -> constantString(c.args().getFirst());
            case Expr.Binary b when b.op().equals("+") && b.right() instanceof Expr.IntLiteral n
                    && constantString(b.left()) instanceof String str && !isInteger(str) ->
                    str.substring((int) Math.min(str.length(), Math.max(0, n.value())));
            default -> null;
        };
    }

    /** The offset of register {@code name} ({@code sp}, {@code ax}, {@code r8}…) in {@code struct pt_regs}. */
    public static int regOffset(String name) {
        return name.matches("r(8|9|1[0-5])") ? io.bpf4j.core.link.Usdt.ptRegsOffset(name)
                : io.bpf4j.core.link.Usdt.ptRegsOffset("r" + name);
    }

    /** A signal's number from its name ({@code "SIGKILL"} or {@code "KILL"}). */
    public static int signalNumber(Expr.StringLiteral sig) {
        String n = sig.value().startsWith("SIG") ? sig.value().substring(3) : sig.value();
        List<String> names = List.of("HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
                "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU");
        int i = names.indexOf(n);
        if (i < 0) throw new SourceException(sig.position(), "unknown signal " + sig.value());
        return i + 1;
    }

    private static void arity(Expr.Call c, int n) {
        if (c.args().size() != n) throw new SourceException(c.position(), c.name() + "() takes " + n
                + (n == 1 ? " argument" : " arguments") + ", not " + c.args().size());
    }

    /**
     * Checks that {@code format}'s conversions match the argument types: as many of each, {@code %r} (and
     * {@code %rx}, {@code %rh}) for buf() values only, integers for every conversion but {@code %s}.
     *
     * @throws IllegalArgumentException with a message for the user when they do not
     */
    static void checkFormat(String format, List<Type> args) {
        List<Character> conversions = Printf.conversions(format);
        if (conversions.size() != args.size()) {
            throw new IllegalArgumentException("printf: the format has " + conversions.size() + " conversion"
                    + (conversions.size() == 1 ? "" : "s") + " but " + args.size() + " argument"
                    + (args.size() == 1 ? " was" : "s were") + " given");
        }
        for (int i = 0; i < args.size(); i++) {
            char c = conversions.get(i);
            boolean raw = c == 'r' || c == 'y' || c == 'z';
            if (raw != args.get(i) instanceof Type.Buf && (raw || !(args.get(i) instanceof Type.Int))) {
                throw new IllegalArgumentException("printf: %r (argument " + (i + 1) + ") is for buf() values, "
                        + "and buf() values print with %r");
            }
            if (c != 's' && !raw && args.get(i).inBuffer()) {
                throw new IllegalArgumentException("printf: %" + c + " (argument " + (i + 1)
                        + ") needs an integer, but the argument is a string; use %s");
            }
        }
    }
}
