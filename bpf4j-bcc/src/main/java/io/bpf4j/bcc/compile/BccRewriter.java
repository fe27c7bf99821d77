package io.bpf4j.bcc.compile;

import io.bpf4j.bcc.compile.CTokens.Kind;
import io.bpf4j.bcc.compile.CTokens.Token;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns bcc's dialect into C that clang compiles against {@code bpf4j/bcc.h}, at token level, for what macros
 * cannot do: map method calls ({@code counts.increment(key)} becomes {@code __bpf4j_increment(counts, key)}),
 * {@code BPF_TABLE("hash", …)}'s type string, {@code TRACEPOINT_PROBE}/{@code RAW_TRACEPOINT_PROBE}, the section of
 * each program function (from its name or its context type), kprobe arguments after {@code ctx} (read from the
 * registers), kernel header includes (dropped: vmlinux.h has the types), and kernel pointer dereferences.
 *
 * <p>Pointer dereferences: a chain {@code p->a.b->c} whose root {@code p} is a parameter or local declared
 * {@code struct T *p} with T a kernel type (not a struct the source defines, not a program context) becomes reads
 * with {@code bpf_probe_read_kernel} of each {@code ->} step, at CO-RE-relocated offsets; from a pointer to a
 * struct the source defines (a map value), each step after the first; {@code *pos} of a kprobe's scalar pointer
 * argument. Left alone: chains that are assigned to, incremented, indexed ({@code p->comm[0]}), called, or whose
 * address or size is taken; pointer arithmetic and casts.
 *
 * <p>A kernel struct the source defines again (bcc programs copy kernel-internal ones) is dropped when at least
 * half its members are the kernel's, else renamed {@code NAME__bcc} in the whole source.
 *
 * <p>No replacement adds a line break, so every output line is the same input line; {@link ColumnMap} maps columns
 * of rewritten lines back.
 */
final class BccRewriter {
    /** A 1-based line and column of the input. */
    record Position(int line, int col) {
    }

    /**
     * @param text        the rewritten source (to follow a {@code #line 1} directive)
     * @param autoAttach  the programs named for an attach point
     * @param usdt        whether the source reads USDT arguments ({@code bpf_usdt_readarg}): bcc.h then declares
     *                    the argument spec maps the attaching side fills
     * @param tracepoints {@code category:name} of every tracepoint whose {@code struct tracepoint__C__N} the source
     *                    uses, with its first use
     * @param problems    constructs that cannot be supported, {@code NAME:LINE:COL: error: …}
     * @param columns     output columns back to input columns
     */
    record Result(String text, List<AutoAttach> autoAttach, boolean usdt, Map<String, Position> tracepoints,
                  List<String> problems, ColumnMap columns) {
    }

    private static final Set<String> MAP_MACROS = Set.of("BPF_HASH", "BPF_PERCPU_HASH", "BPF_LRU_HASH",
            "BPF_ARRAY", "BPF_PERCPU_ARRAY", "BPF_HISTOGRAM", "BPF_LPM_TRIE", "BPF_PERF_OUTPUT", "BPF_PERF_ARRAY",
            "BPF_RINGBUF_OUTPUT", "BPF_STACK_TRACE", "BPF_PROG_ARRAY", "BPF_DEVMAP", "BPF_CPUMAP", "BPF_XSKMAP",
            "BPF_CGROUP_ARRAY", "BPF_QUEUE", "BPF_STACK", "BPF_SK_STORAGE", "BPF_INODE_STORAGE",
            "BPF_TASK_STORAGE");
    private static final Set<String> TABLE_MACROS = Set.of("BPF_TABLE", "BPF_F_TABLE", "BPF_TABLE_PINNED",
            "BPF_TABLE_SHARED", "BPF_TABLE_PUBLIC");
    private static final Map<String, String> UNSUPPORTED = Map.of(
            "BPF_ARRAY_OF_MAPS", "maps of maps are not supported",
            "BPF_HASH_OF_MAPS", "maps of maps are not supported",
            "BPF_STACK_TRACE_BUILDID", "build-id stack maps are not supported",
            "BPF_SOCKMAP", "sock maps are not supported",
            "BPF_SOCKHASH", "sock maps are not supported",
            "BPF_CGROUP_STORAGE", "cgroup storage maps are not supported",
            "BPF_PERCPU_CGROUP_STORAGE", "cgroup storage maps are not supported");
    private static final Map<String, String> TABLE_TYPES = Map.ofEntries(
            Map.entry("hash", "BPF_MAP_TYPE_HASH"), Map.entry("array", "BPF_MAP_TYPE_ARRAY"),
            Map.entry("percpu_hash", "BPF_MAP_TYPE_PERCPU_HASH"),
            Map.entry("percpu_array", "BPF_MAP_TYPE_PERCPU_ARRAY"), Map.entry("lru_hash", "BPF_MAP_TYPE_LRU_HASH"),
            Map.entry("lru_percpu_hash", "BPF_MAP_TYPE_LRU_PERCPU_HASH"),
            Map.entry("perf_output", "BPF_MAP_TYPE_PERF_EVENT_ARRAY"),
            Map.entry("perf_array", "BPF_MAP_TYPE_PERF_EVENT_ARRAY"), Map.entry("prog", "BPF_MAP_TYPE_PROG_ARRAY"),
            Map.entry("stacktrace", "BPF_MAP_TYPE_STACK_TRACE"), Map.entry("lpm_trie", "BPF_MAP_TYPE_LPM_TRIE"),
            Map.entry("devmap", "BPF_MAP_TYPE_DEVMAP"), Map.entry("cpumap", "BPF_MAP_TYPE_CPUMAP"),
            Map.entry("xskmap", "BPF_MAP_TYPE_XSKMAP"), Map.entry("queue", "BPF_MAP_TYPE_QUEUE"),
            Map.entry("stack", "BPF_MAP_TYPE_STACK"), Map.entry("ringbuf", "BPF_MAP_TYPE_RINGBUF"),
            Map.entry("cgroup_array", "BPF_MAP_TYPE_CGROUP_ARRAY"),
            Map.entry("sk_storage", "BPF_MAP_TYPE_SK_STORAGE"),
            Map.entry("inode_storage", "BPF_MAP_TYPE_INODE_STORAGE"),
            Map.entry("task_storage", "BPF_MAP_TYPE_TASK_STORAGE"));
    /** The map methods bcc.h implements as {@code __bpf4j_<method>}. */
    private static final Set<String> METHODS = Set.of("lookup", "update", "insert", "delete", "increment",
            "atomic_increment", "lookup_or_try_init", "lookup_or_init", "perf_submit", "perf_submit_skb",
            "perf_read", "perf_counter_value", "ringbuf_output", "ringbuf_reserve", "ringbuf_submit",
            "ringbuf_discard", "ringbuf_query", "get_stackid", "call", "push", "pop", "peek", "redirect_map",
            "sk_storage_get", "sk_storage_delete", "task_storage_get", "task_storage_delete", "inode_storage_get",
            "inode_storage_delete");
    /** Context types: a program's first parameter, never read with probe_read. */
    private static final Set<String> CONTEXT_TYPES = Set.of("pt_regs", "bpf_perf_event_data", "xdp_md",
            "__sk_buff", "bpf_raw_tracepoint_args", "bpf_sock_ops", "sk_msg_md", "bpf_sock_addr");
    private static final Set<String> ASSIGNMENTS = Set.of("=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=",
            "<<=", ">>=", "++", "--");
    private static final Set<String> CAST_WORDS = Set.of("struct", "union", "enum", "const", "volatile", "void",
            "char", "short", "int", "long", "unsigned", "signed", "bool", "_Bool", "u8", "u16", "u32", "u64", "s8",
            "s16", "s32", "s64", "__u8", "__u16", "__u32", "__u64", "__s8", "__s16", "__s32", "__s64", "size_t",
            "pid_t", "uintptr_t");
    private static final Set<String> KERNEL_INCLUDE_DIRS = Set.of("linux", "uapi", "net", "bcc", "asm",
            "asm-generic", "trace", "kernel", "scsi", "crypto", "xen", "rdma", "sound", "video", "drm", "keys");
    private static final Pattern INCLUDE = Pattern.compile("^#\\s*include\\s*<([^>/]+)/[^>]*>");

    private final String sourceName;
    private final List<Token> all;
    private final List<Token> s = new ArrayList<>(); // the significant tokens
    private final Set<String> maps = new HashSet<>();
    private final Set<String> userStructs = new HashSet<>();
    private final Set<String> dropped = new HashSet<>();
    /** The current function's pointers to structs the source defines (map values): {@code v->fp->f_path}. */
    private final Set<String> userRoots = new HashSet<>();
    /** The current kprobe function's non-struct pointer arguments ({@code loff_t *ppos}): {@code *ppos} is read. */
    private final Set<String> scalarRoots = new HashSet<>();
    private final List<AutoAttach> autoAttach = new ArrayList<>();
    private final Map<String, Position> tracepoints = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();

    private final Function<String, Set<String>> kernelStructs;

    private BccRewriter(String source, String sourceName, Function<String, Set<String>> kernelStructs) {
        this.sourceName = sourceName;
        this.kernelStructs = kernelStructs;
        this.all = CTokens.tokenize(source);
        for (Token t : all) if (t.significant()) s.add(t);
    }

    /**
     * @param kernelStructs the member names of a struct of vmlinux.h, null for none of that name: a struct the source defines again is
     *                      dropped when at least half its members are the kernel's (bcc programs copy
     *                      kernel-internal structs, sometimes of another kernel version: the running kernel's
     *                      definition, read with CO-RE, is the right one), else renamed in the whole source
     */
    static Result rewrite(String source, String sourceName, Function<String, Set<String>> kernelStructs) {
        BccRewriter r = new BccRewriter(source, sourceName, kernelStructs);
        r.kernelStructCopies();
        r.dropKernelIncludes();
        r.declarations();
        r.methodCalls();
        r.functions();
        return r.result();
    }

    private void dropKernelIncludes() {
        for (Token t : all) {
            if (t.kind != Kind.DIRECTIVE) continue;
            Matcher m = INCLUDE.matcher(t.text);
            if (m.find() && KERNEL_INCLUDE_DIRS.contains(m.group(1))) t.out = "";
        }
    }

    private void kernelStructCopies() {
        Set<String> renamed = new HashSet<>();
        for (int i = 0; i + 2 < s.size(); i++) {
            if (!s.get(i).is("struct") || s.get(i + 1).kind != Kind.IDENT || !s.get(i + 2).is("{")) continue;
            Set<String> kernel = kernelStructs.apply(s.get(i + 1).text);
            if (kernel == null) continue;
            int close = matching(i + 2);
            if (close < 0) continue;
            Set<String> members = new HashSet<>();
            for (int k = i + 3; k < close; k++) {
                Token t = s.get(k);
                Token next = s.get(k + 1);
                if (t.kind == Kind.IDENT && (next.is(";") || next.is("[") || next.is(":") || next.is(",")
                        || next.is(")") && s.get(k - 1).is("*"))) {
                    members.add(t.text);
                }
            }
            long known = members.stream().filter(kernel::contains).count();
            if (2 * known >= members.size() && at(close + 1, ";")) {
                blank(i, close + 1); // the kernel's own definition is in vmlinux.h
                dropped.add(s.get(i + 1).text);
                i = close + 1;
            } else {
                renamed.add(s.get(i + 1).text);
            }
        }
        for (int i = 0; i + 1 < s.size(); i++) {
            if (s.get(i).is("struct") && renamed.contains(s.get(i + 1).text)) s.get(i + 1).out += "__bcc";
        }
    }

    /** Map declarations (their names, BPF_TABLE's type string), struct definitions, unsupported constructs. */
    private void declarations() {
        for (int i = 0; i < s.size(); i++) {
            Token t = s.get(i);
            if (t.kind != Kind.IDENT) continue;
            String name = t.text;
            if (name.equals("struct") && i + 2 < s.size() && s.get(i + 1).kind == Kind.IDENT
                    && s.get(i + 2).is("{")) {
                if (!dropped.contains(s.get(i + 1).text)) userStructs.add(s.get(i + 1).text);
            } else if (UNSUPPORTED.containsKey(name) && !isMember(i)) {
                problem(t, "unsupported bcc construct '" + name + "': " + UNSUPPORTED.get(name));
            } else if (name.startsWith("tracepoint__")) {
                int sep = name.indexOf("__", "tracepoint__".length());
                if (sep > "tracepoint__".length() && sep + 2 < name.length()) {
                    tracepoints.putIfAbsent(name.substring("tracepoint__".length(), sep) + ":"
                            + name.substring(sep + 2), new Position(t.line, t.col));
                }
            }
            if (!at(i + 1, "(")) continue;
            List<List<Integer>> args = arguments(i + 1);
            if (MAP_MACROS.contains(name) && !args.isEmpty() && !args.get(0).isEmpty()) {
                maps.add(s.get(args.get(0).get(0)).text);
            } else if (TABLE_MACROS.contains(name) && args.size() >= 5) {
                Token type = s.get(args.get(0).get(0));
                if (!args.get(3).isEmpty()) maps.add(s.get(args.get(3).get(0)).text);
                if (type.kind != Kind.STRING) continue;
                String key = type.text.substring(1, type.text.length() - 1);
                if (key.equals("histogram")) {
                    type.out = "__bpf4j_hist_type(" + text(args.get(1)) + ")";
                } else if (TABLE_TYPES.containsKey(key)) {
                    type.out = TABLE_TYPES.get(key);
                } else {
                    problem(type, "unsupported bcc construct '" + name + "(" + type.text + ", …)': map type "
                            + type.text + " is not supported (known: " + String.join(", ",
                            new java.util.TreeSet<>(TABLE_TYPES.keySet())) + ", histogram)");
                }
            }
        }
    }

    /** {@code map.method(args)} → {@code __bpf4j_method(map, args)}. */
    private void methodCalls() {
        for (int i = 0; i + 3 < s.size(); i++) {
            Token map = s.get(i);
            if (map.kind != Kind.IDENT || !maps.contains(map.text) || isMember(i) || !s.get(i + 1).is(".")
                    || s.get(i + 2).kind != Kind.IDENT || !s.get(i + 3).is("(")) {
                continue;
            }
            String method = s.get(i + 2).text;
            if (!METHODS.contains(method)) {
                problem(s.get(i + 2), "unsupported bcc construct '" + map.text + "." + method
                        + "()': no such map method in bpf4j's bcc dialect (it has " + String.join(", ",
                        new java.util.TreeSet<>(METHODS)) + ")");
                continue;
            }
            map.out = "__bpf4j_" + method;
            s.get(i + 1).out = "";
            s.get(i + 2).out = "";
            s.get(i + 3).out = "(" + map.text + (at(i + 4, ")") ? "" : ", ");
        }
    }

    /** Program functions: their section, auto-attach, kprobe arguments; and dereferences in every body. */
    private void functions() {
        int depth = 0;
        int boundary = -1; // the last top-level ';' or '}': a definition's specifiers start after it
        for (int i = 0; i < s.size(); i++) {
            Token t = s.get(i);
            if (t.is("{")) depth++;
            else if (t.is("}")) {
                depth--;
                if (depth == 0) boundary = i;
            } else if (t.is(";") && depth == 0) boundary = i;
            if (depth != 0 || t.kind != Kind.IDENT || !at(i + 1, "(")) continue;
            int close = matching(i + 1);
            if (close < 0 || !at(close + 1, "{")) continue;
            int open = close + 1;
            int end = matching(open);
            if (end < 0) continue;
            Set<String> roots = new HashSet<>();
            scalarRoots.clear();
            userRoots.clear();
            switch (t.text) {
                case "TRACEPOINT_PROBE" -> tracepointProbe(i, close);
                case "RAW_TRACEPOINT_PROBE" -> rawTracepointProbe(i, close);
                case "KFUNC_PROBE", "KRETFUNC_PROBE", "LSM_PROBE" -> btfProbe(i, close);
                default -> roots = function(boundary, i, close, open);
            }
            dereferences(open, end, roots);
            boundary = end;
            i = end; // the body is done: depth stays 0
        }
    }

    private void tracepointProbe(int i, int close) {
        List<List<Integer>> args = arguments(i + 1);
        if (args.size() != 2 || args.get(0).size() != 1 || args.get(1).size() != 1) {
            problem(s.get(i), "TRACEPOINT_PROBE takes (category, event)");
            return;
        }
        String cat = s.get(args.get(0).get(0)).text;
        String event = s.get(args.get(1).get(0)).text;
        String fn = "tracepoint__" + cat + "__" + event;
        blank(i, close);
        s.get(i).out = "int " + fn + "(struct " + fn + " *args)" + section("tracepoint/" + cat + "/" + event);
        tracepoints.putIfAbsent(cat + ":" + event, new Position(s.get(i).line, s.get(i).col));
        autoAttach.add(new AutoAttach(fn, AutoAttach.Kind.TRACEPOINT, cat + ":" + event));
    }

    private void rawTracepointProbe(int i, int close) {
        List<List<Integer>> args = arguments(i + 1);
        if (args.size() != 1 || args.get(0).size() != 1) {
            problem(s.get(i), "RAW_TRACEPOINT_PROBE takes (event)");
            return;
        }
        String event = s.get(args.get(0).get(0)).text;
        String fn = "raw_tracepoint__" + event;
        blank(i, close);
        s.get(i).out = "int " + fn + "(struct bpf_raw_tracepoint_args *ctx)" + section("raw_tp/" + event);
        autoAttach.add(new AutoAttach(fn, AutoAttach.Kind.RAW_TRACEPOINT, event));
    }

    private void btfProbe(int i, int close) {
        List<List<Integer>> args = arguments(i + 1);
        if (args.isEmpty() || args.get(0).size() != 1) return; // clang reports the macro's misuse
        String target = s.get(args.get(0).get(0)).text;
        switch (s.get(i).text) {
            case "KFUNC_PROBE" -> autoAttach.add(new AutoAttach("kfunc__" + target, AutoAttach.Kind.KFUNC, target));
            case "KRETFUNC_PROBE" ->
                    autoAttach.add(new AutoAttach("kretfunc__" + target, AutoAttach.Kind.KRETFUNC, target));
            default -> autoAttach.add(new AutoAttach("lsm__" + target, AutoAttach.Kind.LSM, target));
        }
    }

    /**
     * A function definition: gives a program its section; returns the roots for dereference rewriting (pointer
     * parameters to kernel structs, the context excluded).
     */
    private Set<String> function(int boundary, int nameAt, int close, int open) {
        String name = s.get(nameAt).text;
        List<List<Integer>> params = arguments(nameAt + 1);
        Set<String> roots = new HashSet<>();
        for (int p = 0; p < params.size(); p++) {
            String root = pointerRoot(params.get(p));
            if (root != null) roots.add(root);
            String user = userStructPointer(params.get(p));
            if (user != null) userRoots.add(user);
        }
        boolean isStatic = false;
        for (int k = boundary + 1; k < nameAt; k++) {
            String w = s.get(k).text;
            if (w.equals("static") || w.equals("inline") || w.equals("__always_inline")) isStatic = true;
        }
        if (isStatic || params.isEmpty() || params.get(0).isEmpty()) return roots;
        List<Integer> first = params.get(0);
        String ctxType = text(first.subList(0, first.size() - 1));
        String ctx = s.get(first.get(first.size() - 1)).text;
        String section = null;
        boolean registerArgs = false;
        boolean syscallArgs = false;
        if (name.startsWith("kprobe__") && name.length() > 8) {
            section = "kprobe/" + name.substring(8);
            registerArgs = true;
            autoAttach.add(new AutoAttach(name, AutoAttach.Kind.KPROBE, name.substring(8)));
        } else if (name.startsWith("kretprobe__") && name.length() > 11) {
            section = "kretprobe/" + name.substring(11);
            autoAttach.add(new AutoAttach(name, AutoAttach.Kind.KRETPROBE, name.substring(11)));
        } else if (name.startsWith("tracepoint__") && name.indexOf("__", 12) > 12) {
            int sep = name.indexOf("__", 12);
            String cat = name.substring(12, sep);
            String event = name.substring(sep + 2);
            section = "tracepoint/" + cat + "/" + event;
            autoAttach.add(new AutoAttach(name, AutoAttach.Kind.TRACEPOINT, cat + ":" + event));
        } else if (name.startsWith("raw_tracepoint__") && name.length() > 16) {
            section = "raw_tp/" + name.substring(16);
            autoAttach.add(new AutoAttach(name, AutoAttach.Kind.RAW_TRACEPOINT, name.substring(16)));
        } else if (ctxType.contains("pt_regs")) {
            section = "kprobe";
            registerArgs = true;
            syscallArgs = name.startsWith("syscall__");
        } else if (ctxType.contains("struct tracepoint__")) {
            String tp = ctxType.substring(ctxType.indexOf("tracepoint__") + 12).replace("*", "").strip();
            int sep = tp.indexOf("__");
            if (sep > 0) section = "tracepoint/" + tp.substring(0, sep) + "/" + tp.substring(sep + 2);
        } else if (ctxType.contains("bpf_perf_event_data")) {
            section = "perf_event";
        } else if (ctxType.contains("xdp_md")) {
            section = "xdp";
        } else if (ctxType.contains("__sk_buff")) {
            section = "socket";
        } else if (ctxType.contains("bpf_raw_tracepoint_args")) {
            section = "raw_tp";
        } else if (ctxType.contains("bpf_sock_ops")) {
            section = "sockops";
        } else if (ctxType.replace(" ", "").equals("void*")) {
            section = "kprobe"; // bcc attaches such functions as kprobes or uprobes most of the time
        }
        if (section == null) return roots;
        roots.remove(ctx);
        s.get(close).out = ")" + section(section);
        if (registerArgs && params.size() > 1) {
            registerArguments(params, close, open, ctx, syscallArgs);
            // a kprobe's other pointer arguments point into the kernel too: *ppos is read as bcc reads it
            for (int p = 1; p < params.size(); p++) {
                List<Integer> param = params.get(p);
                int n = param.size();
                if (n >= 3 && s.get(param.get(n - 2)).is("*") && !s.get(param.get(n - 3)).is("*")
                        && !s.get(param.get(0)).is("struct")) {
                    scalarRoots.add(s.get(param.get(n - 1)).text);
                }
            }
        }
        return roots;
    }

    /** {@code int f(struct pt_regs *ctx, struct sock *sk)}: sk is read from the first argument register. */
    private void registerArguments(List<List<Integer>> params, int close, int open, String ctx, boolean syscall) {
        if (params.size() > 7) {
            problem(s.get(params.get(7).get(0)), "a kprobe function takes at most 6 arguments after ctx");
            return;
        }
        StringBuilder decls = new StringBuilder();
        for (int p = 1; p < params.size(); p++) {
            List<Integer> param = params.get(p);
            if (param.size() < 2) {
                problem(s.get(param.isEmpty() ? close : param.get(0)), "cannot read a kprobe argument without a "
                        + "type and name");
                return;
            }
            String type = text(param.subList(0, param.size() - 1));
            String var = s.get(param.get(param.size() - 1)).text;
            String register = syscall
                    ? "__BPF4J_SYSCALL_ARG(" + ctx + ", " + p + ")"
                    : "PT_REGS_PARM" + p + "(" + ctx + ")";
            decls.append(' ').append(type).append(type.endsWith("*") ? "" : " ").append(var).append(" = (").append(type).append(')')
                    .append(register).append(';');
        }
        blank(params.get(0).get(params.get(0).size() - 1) + 1, close - 1);
        s.get(open).out = "{" + decls;
    }

    /** The name a parameter or declaration {@code struct T *name} declares, T a kernel type; else null. */
    private String pointerRoot(List<Integer> decl) {
        int n = decl.size();
        if (n < 4) return null;
        Token name = s.get(decl.get(n - 1));
        if (name.kind != Kind.IDENT || !s.get(decl.get(n - 2)).is("*") || s.get(decl.get(n - 3)).is("*")) {
            return null;
        }
        Token type = s.get(decl.get(n - 3));
        Token struct = s.get(decl.get(n - 4));
        if (!struct.is("struct") || type.kind != Kind.IDENT || !kernelStruct(type.text)) return null;
        return name.text;
    }

    /** The name a declaration {@code struct T *name} declares, T a struct the source defines; else null. */
    private String userStructPointer(List<Integer> decl) {
        int n = decl.size();
        if (n < 4 || s.get(decl.get(n - 1)).kind != Kind.IDENT || !s.get(decl.get(n - 2)).is("*")
                || !s.get(decl.get(n - 4)).is("struct") || !userStructs.contains(s.get(decl.get(n - 3)).text)) {
            return null;
        }
        return s.get(decl.get(n - 1)).text;
    }

    private boolean kernelStruct(String name) {
        return !userStructs.contains(name) && !CONTEXT_TYPES.contains(name) && !name.startsWith("tracepoint__");
    }

    /** Rewrites kernel pointer dereference chains between {@code open} and {@code end}. */
    private void dereferences(int open, int end, Set<String> roots) {
        for (int i = open + 1; i < end; i++) {
            // a local 'struct T *name' (=, ;, or ,) adds a root
            if (s.get(i).is("struct") && i + 3 < end && s.get(i + 1).kind == Kind.IDENT && s.get(i + 2).is("*")
                    && s.get(i + 3).kind == Kind.IDENT && i + 4 < end
                    && (s.get(i + 4).is("=") || s.get(i + 4).is(";") || s.get(i + 4).is(","))
                    && !CONTEXT_TYPES.contains(s.get(i + 1).text)) {
                (userStructs.contains(s.get(i + 1).text) ? userRoots : roots).add(s.get(i + 3).text);
                i += 3;
                continue;
            }
            Token t = s.get(i);
            if (t.is("*") && i + 1 < end && scalarRoots.contains(s.get(i + 1).text) && unaryStar(i)
                    && rvalue(i, i + 1)) {
                t.out = "";
                s.get(i + 1).out = "__bpf4j_kread(*" + s.get(i + 1).text + ")";
                i++;
                continue;
            }
            if (t.kind != Kind.IDENT || isMember(i)) continue;
            // the arrows that read memory the program may read directly: none from a kernel pointer; the first
            // from a pointer to the source's own struct (a map value), whose pointer members point into the kernel
            int direct;
            if (roots.contains(t.text)) direct = 1;
            else if (userRoots.contains(t.text)) direct = 2;
            else continue;
            int last = i;
            int arrows = 0;
            while (last + 2 < end && (s.get(last + 1).is("->") || s.get(last + 1).is("."))
                    && s.get(last + 2).kind == Kind.IDENT) {
                if (s.get(last + 1).is("->")) arrows++;
                last += 2;
            }
            if (arrows < direct || !rvalue(i, last)) {
                i = last;
                continue;
            }
            StringBuilder expr = new StringBuilder(t.text);
            int arrow = 0;
            for (int k = i + 1; k <= last; k += 2) {
                if (s.get(k).is("->") && ++arrow > direct) expr.insert(0, "__bpf4j_kread(").append(')');
                expr.append(s.get(k).text).append(s.get(k + 1).text);
            }
            blank(i, last);
            t.out = "__bpf4j_kread(" + expr + ")";
            i = last;
        }
    }

    /** Whether the chain from..to is read as a value (not assigned, indexed, called, or its address/size taken). */
    private boolean rvalue(int from, int to) {
        if (to + 1 < s.size()) {
            Token next = s.get(to + 1);
            if (ASSIGNMENTS.contains(next.text) || next.is("[") || next.is("(")) return false;
        }
        if (from == 0) return true;
        Token prev = s.get(from - 1);
        if (prev.is("++") || prev.is("--") || prev.is("sizeof") || prev.is("typeof") || prev.is("__typeof__")) {
            return false;
        }
        if (prev.is("(") && from >= 2) {
            String fn = s.get(from - 2).text;
            if (fn.equals("sizeof") || fn.equals("typeof") || fn.equals("__typeof__") || fn.equals("offsetof")) {
                return false;
            }
        }
        if (prev.is("&")) {
            // unary & (address-of) after an operator, '(' ',' or a keyword like return; binary after an operand
            if (from < 2) return false;
            Token before = s.get(from - 2);
            if (before.is(")")) return !castBefore(from - 2);
            return before.kind == Kind.IDENT && !before.is("return") || before.kind == Kind.NUMBER
                    || before.is("]");
        }
        return true;
    }

    /** Whether the '*' at i dereferences (after an operator, '(' ',' or a keyword) rather than multiplies. */
    private boolean unaryStar(int i) {
        if (i == 0) return true;
        Token before = s.get(i - 1);
        if (before.is(")")) return castBefore(i - 1);
        return !(before.kind == Kind.IDENT && !before.is("return") || before.kind == Kind.NUMBER || before.is("]"));
    }

    /** Whether the ')' at close ends a cast: {@code (const void *)&x}, {@code (u8 *)&x}, {@code (struct s)}. */
    private boolean castBefore(int close) {
        int depth = 0;
        int open = -1;
        for (int k = close; k >= 0; k--) {
            if (s.get(k).is(")")) depth++;
            else if (s.get(k).is("(") && --depth == 0) {
                open = k;
                break;
            }
        }
        if (open < 0 || open + 1 >= close) return false;
        if (open > 0 && s.get(open - 1).kind == Kind.IDENT && !CAST_WORDS.contains(s.get(open - 1).text)
                && !s.get(open - 1).is("return")) {
            return false; // f(x) & y: a call
        }
        return s.get(close - 1).is("*") || CAST_WORDS.contains(s.get(open + 1).text);
    }

    private Result result() {
        StringBuilder out = new StringBuilder();
        ColumnMap columns = new ColumnMap();
        int line = 1;
        int col = 1;
        for (Token t : all) {
            if (!t.out.isEmpty()) columns.add(line, col, t.line, t.col, !t.out.equals(t.text));
            out.append(t.out);
            for (int k = 0; k < t.out.length(); k++) {
                if (t.out.charAt(k) == '\n') {
                    line++;
                    col = 1;
                } else {
                    col++;
                }
            }
        }
        boolean usdt = s.stream().anyMatch(t -> t.kind == Kind.IDENT && t.text.startsWith("bpf_usdt_readarg"));
        return new Result(out.toString(), autoAttach, usdt, tracepoints, problems, columns);
    }

    private static String section(String name) {
        return " __attribute__((section(\"" + name + "\"), used))";
    }

    /** Replaces tokens from..to (significant indexes) with nothing but their line breaks. */
    private void blank(int from, int to) {
        if (from > to) return;
        int a = all.indexOf(s.get(from));
        int b = all.indexOf(s.get(to));
        for (int k = a; k <= b; k++) {
            Token t = all.get(k);
            t.out = t.kind == Kind.DIRECTIVE ? t.out : t.text.replaceAll("[^\n]", "");
        }
    }

    private boolean at(int i, String text) {
        return i < s.size() && s.get(i).is(text);
    }

    /** Whether the identifier at i is a member name ({@code x.name}, {@code p->name}). */
    private boolean isMember(int i) {
        return i > 0 && (s.get(i - 1).is(".") || s.get(i - 1).is("->"));
    }

    private int matching(int open) {
        String o = s.get(open).text;
        String c = o.equals("(") ? ")" : o.equals("{") ? "}" : "]";
        int depth = 0;
        for (int i = open; i < s.size(); i++) {
            if (s.get(i).is(o)) depth++;
            else if (s.get(i).is(c) && --depth == 0) return i;
        }
        return -1;
    }

    /** The top-level comma-separated arguments of the parenthesis at {@code open}, as significant indexes. */
    private List<List<Integer>> arguments(int open) {
        List<List<Integer>> args = new ArrayList<>();
        int close = matching(open);
        if (close < 0) return args;
        List<Integer> cur = new ArrayList<>();
        int depth = 0;
        for (int i = open + 1; i < close; i++) {
            Token t = s.get(i);
            if (t.is("(") || t.is("[") || t.is("{")) depth++;
            else if (t.is(")") || t.is("]") || t.is("}")) depth--;
            if (depth == 0 && t.is(",")) {
                args.add(cur);
                cur = new ArrayList<>();
            } else {
                cur.add(i);
            }
        }
        if (!cur.isEmpty() || !args.isEmpty()) args.add(cur);
        return args;
    }

    private String text(List<Integer> indexes) {
        StringBuilder b = new StringBuilder();
        for (int i : indexes) {
            Token t = s.get(i);
            char prev = b.isEmpty() ? ' ' : b.charAt(b.length() - 1);
            if (!b.isEmpty() && prev != '*' && prev != '[' && !t.is("[") && !t.is("]")) b.append(' ');
            b.append(s.get(i).text);
        }
        return b.toString();
    }

    private void problem(Token at, String message) {
        problems.add(sourceName + ":" + at.line + ":" + at.col + ": error: " + message);
    }

    /** Output columns of rewritten lines back to the input's. */
    static final class ColumnMap {
        private final Map<Integer, TreeMap<Integer, int[]>> lines = new HashMap<>();

        void add(int outLine, int outCol, int inLine, int inCol, boolean replaced) {
            lines.computeIfAbsent(outLine, k -> new TreeMap<>()).put(outCol, new int[] {inLine, inCol,
                    replaced ? 1 : 0});
        }

        /** The input position of output line/column. */
        Position map(int line, int col) {
            TreeMap<Integer, int[]> m = lines.get(line);
            if (m == null) return new Position(line, col);
            Map.Entry<Integer, int[]> e = m.floorEntry(col);
            if (e == null) return new Position(line, col);
            int[] in = e.getValue();
            return new Position(in[0], in[2] == 1 ? in[1] : in[1] + col - e.getKey());
        }
    }
}
