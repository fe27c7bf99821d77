package io.bpf4j.bpftrace.codegen;

import io.bpf4j.bpftrace.ast.Expr;
import io.bpf4j.bpftrace.ast.SourceException;
import io.bpf4j.bpftrace.ast.Stmt;
import io.bpf4j.bpftrace.check.Analysis;
import io.bpf4j.bpftrace.check.CheckedProbe;
import io.bpf4j.bpftrace.check.Checker;
import io.bpf4j.bpftrace.check.MapInfo;
import io.bpf4j.bpftrace.check.MapKind;
import io.bpf4j.bpftrace.check.ProbeTarget;
import io.bpf4j.bpftrace.check.TracepointFormat;
import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.bpftrace.runtime.Event;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.asm.MapReference;
import io.bpf4j.core.asm.Register;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static io.bpf4j.core.asm.Register.R4;
import static io.bpf4j.core.asm.Register.R6;

/**
 * Generates one BPF program for one target of a probe block.
 *
 * <p>The model is deliberately simple, as the verifier likes it: {@code r6} holds the context for the whole
 * program; an integer expression leaves its value in {@code r0}, and a binary operation keeps its left operand in
 * a stack slot while the right one is evaluated (helper calls clobber {@code r1}–{@code r5}); a string expression
 * is written, NUL-padded, into a stack buffer its consumer chooses (a map key, a printf record, a variable).
 * Stack slots are bump-allocated and released at the end of each statement; variables keep theirs.
 */
public final class CodeGen {
    /** x86-64 {@code struct pt_regs} offsets of the argument registers di, si, dx, cx, r8, r9, and of ax. */
    private static final int[] ARG_OFFSETS = {112, 104, 96, 88, 72, 64};
    private static final int RAX_OFFSET = 80;
    private static final int MAX_STACK = 512;

    private final Analysis analysis;
    private final Map<String, ? extends MapReference> maps;
    private final MapReference events;
    private final EventTable eventTable;
    private final long startNs;
    private final Assembler a = new Assembler();
    private final Map<String, Integer> variableSlots = new HashMap<>();
    private final Map<String, Type> variableTypes = new HashMap<>();
    private ProbeTarget target;
    private int stack;
    private int maxStack;
    private int labels;

    private CodeGen(Analysis analysis, Map<String, ? extends MapReference> maps, MapReference events,
                    EventTable eventTable, long startNs) {
        this.analysis = analysis;
        this.maps = maps;
        this.events = events;
        this.eventTable = eventTable;
        this.startNs = startNs;
    }

    /**
     * The program of {@code probe} at {@code target}.
     *
     * @param maps       the created maps by name, as the analysis lists them
     * @param events     the ring buffer that carries events to user space
     * @param eventTable where event ids are registered
     * @param startNs    CLOCK_MONOTONIC at the start of tracing, what {@code elapsed} counts from
     * @throws SourceException when the block needs something this generator cannot produce
     */
    public static Instructions generate(Analysis analysis, CheckedProbe probe, ProbeTarget target,
                                        Map<String, ? extends MapReference> maps, MapReference events,
                                        EventTable eventTable, long startNs) {
        CodeGen g = new CodeGen(analysis, maps, events, eventTable, startNs);
        g.target = target;
        return g.program(probe);
    }

    private Instructions program(CheckedProbe probe) {
        a.mov64(R6, R1);
        declareVariables(probe.block().body());
        if (probe.block().predicate() != null) {
            int mark = stack;
            evalInt(probe.block().predicate());
            stack = mark;
            a.jeq(R0, 0, "exit");
        }
        statements(probe.block().body());
        a.label("exit").mov64(R0, 0).exit();
        if (maxStack > MAX_STACK) {
            throw new SourceException(probe.block().position(), "this probe needs " + maxStack
                    + " bytes of BPF stack, more than the kernel's " + MAX_STACK
                    + ": use fewer or shorter strings (str(x, N)) in one statement");
        }
        return a.build();
    }

    /** Gives every variable a slot as large as the largest value assigned to it anywhere in the block. */
    private void declareVariables(List<Stmt> body) {
        for (Stmt s : body) {
            switch (s) {
                case Stmt.AssignVar v -> {
                    Type t = analysis.type(v.target());
                    Type old = variableTypes.get(v.target().name());
                    if (old == null || t.size() > old.size()) variableTypes.put(v.target().name(), t);
                }
                case Stmt.If i -> {
                    declareVariables(i.then());
                    declareVariables(i.otherwise());
                }
                case Stmt.Unroll u -> declareVariables(u.body());
                default -> {
                }
            }
        }
        for (Map.Entry<String, Type> e : variableTypes.entrySet()) {
            int slot = alloc(e.getValue().size());
            zero(slot, e.getValue().size());
            variableSlots.put(e.getKey(), slot);
        }
    }

    // ---- stack ----

    private int alloc(int bytes) {
        stack += (bytes + 7) & ~7;
        maxStack = Math.max(maxStack, stack);
        return -stack;
    }

    private String label(String what) {
        return what + "_" + labels++;
    }

    private void zero(int off, int size) {
        for (int i = 0; i < size; i += 8) a.stDW(R10, off + i, 0);
    }

    /** Copies {@code size} bytes (a multiple of 8) from {@code base + from} to the stack at {@code to}. */
    private void copy(Register base, int from, int to, int size) {
        for (int i = 0; i + 8 <= size; i += 8) {
            a.ldxDW(R1, base, from + i).stxDW(R10, to + i, R1);
        }
    }

    private void stackPointer(Register dst, int off) {
        a.mov64(dst, R10).add64(dst, off);
    }

    private void constant(Register dst, long value) {
        if (value == (int) value) a.mov64(dst, (int) value);
        else a.ldImm64(dst, value);
    }

    // ---- statements ----

    /**
     * Generates {@code stmts}, stopping after one that never falls through ({@code exit()}, {@code return}): the
     * verifier rejects unreachable instructions. Returns whether the block never falls through.
     */
    private boolean statements(List<Stmt> stmts) {
        for (Stmt s : stmts) {
            int mark = stack;
            boolean terminal = statement(s);
            stack = mark;
            if (terminal) return true;
        }
        return false;
    }

    /** Generates {@code s}; returns whether control never falls through it. */
    private boolean statement(Stmt s) {
        switch (s) {
            case Stmt.ExprStmt e -> {
                return call((Expr.Call) e.expr());
            }
            case Stmt.AssignVar v -> {
                Type t = variableTypes.get(v.target().name());
                int slot = variableSlots.get(v.target().name());
                if (t instanceof Type.Str) {
                    evalStr(v.value(), slot, t.size());
                } else {
                    evalInt(v.value());
                    a.stxDW(R10, slot, R0);
                }
                return false;
            }
            case Stmt.AssignMap m -> {
                assignMap(m);
                return false;
            }
            case Stmt.If i -> {
                String otherwise = label("else");
                String end = label("endif");
                evalInt(i.condition());
                a.jeq(R0, 0, otherwise);
                boolean thenEnds = statements(i.then());
                if (!thenEnds) a.ja(end);
                a.label(otherwise);
                boolean elseEnds = statements(i.otherwise());
                a.label(end);
                return thenEnds && elseEnds;
            }
            case Stmt.Unroll u -> {
                for (int i = 0; i < u.count(); i++) {
                    if (statements(u.body())) return true;
                }
                return false;
            }
            case Stmt.Return r -> {
                a.ja("exit");
                return true;
            }
        }
    }

    private MapInfo info(String name) {
        return analysis.maps().get(name);
    }

    private MapReference map(String name) {
        MapReference m = maps.get(name);
        if (m == null) throw new IllegalStateException("map " + name + " was not created");
        return m;
    }

    /** Writes the key of {@code @name[keys]} at a new stack buffer (with room for a bucket index); returns it. */
    private int key(MapInfo info, List<Expr> keys) {
        int off = alloc(info.kernelKeySize());
        if (keys.isEmpty()) {
            a.stDW(R10, off, 0);
            return off;
        }
        int pos = 0;
        for (int i = 0; i < keys.size(); i++) {
            Type t = info.keys().get(i);
            if (t instanceof Type.Str) {
                evalStr(keys.get(i), off + pos, t.size());
            } else {
                evalInt(keys.get(i));
                a.stxDW(R10, off + pos, R0);
            }
            pos += t.size();
        }
        return off;
    }

    private void lookup(String map, int keyOff) {
        a.loadMapFd(R1, map(map));
        stackPointer(R2, keyOff);
        a.call(Helper.MAP_LOOKUP_ELEM);
    }

    private void update(String map, int keyOff, int valueOff) {
        a.loadMapFd(R1, map(map));
        stackPointer(R2, keyOff);
        stackPointer(R3, valueOff);
        a.mov64(R4, 0).call(Helper.MAP_UPDATE_ELEM);
    }

    private void assignMap(Stmt.AssignMap m) {
        MapInfo info = info(m.target().name());
        if (info.kind() == MapKind.VALUE) {
            int value = alloc(info.valueSize());
            if (info.value() instanceof Type.Str) {
                evalStr(m.value(), value, info.valueSize());
            } else {
                evalInt(m.value());
                a.stxDW(R10, value, R0);
            }
            int key = key(info, m.target().keys());
            update(info.name(), key, value);
            return;
        }
        Expr.Call call = (Expr.Call) m.value();
        int arg = alloc(8);
        if (!call.args().isEmpty()) {
            evalInt(call.args().getFirst());
            a.stxDW(R10, arg, R0);
        }
        int key = key(info, m.target().keys());
        if (info.kind() == MapKind.HIST) histBucket(arg, key + info.keySize());
        if (info.kind() == MapKind.LHIST) lhistBucket(info, arg, key + info.keySize());
        int value = alloc(16);
        String found = label("found");
        String done = label("done");
        lookup(info.name(), key);
        a.jne(R0, 0, found);
        // first value on this CPU: write the initial state
        switch (info.kind()) {
            case COUNT, HIST, LHIST -> a.stDW(R10, value, 1);
            case SUM -> a.ldxDW(R1, R10, arg).stxDW(R10, value, R1);
            case MIN, MAX -> a.ldxDW(R1, R10, arg).stxDW(R10, value, R1).stDW(R10, value + 8, 1);
            case AVG, STATS -> a.stDW(R10, value, 1).ldxDW(R1, R10, arg).stxDW(R10, value + 8, R1);
            case VALUE -> throw new IllegalStateException();
        }
        update(info.name(), key, value);
        a.ja(done).label(found);
        // per-CPU value: no other program writes it concurrently, plain loads and stores suffice
        switch (info.kind()) {
            case COUNT, HIST, LHIST -> a.ldxDW(R1, R0, 0).add64(R1, 1).stxDW(R0, 0, R1);
            case SUM -> a.ldxDW(R1, R0, 0).ldxDW(R2, R10, arg).add64(R1, R2).stxDW(R0, 0, R1);
            case MIN, MAX -> {
                String store = label("store");
                boolean signed = ((Type.Int) info.value()).signed();
                a.ldxDW(R2, R10, arg).ldxDW(R1, R0, 8).jeq(R1, 0, store).ldxDW(R1, R0, 0);
                // keep the old value when it is already at least as small (min) or large (max)
                if (info.kind() == MapKind.MIN) {
                    if (signed) a.jsle(R1, R2, done);
                    else a.jle(R1, R2, done);
                } else {
                    if (signed) a.jsge(R1, R2, done);
                    else a.jge(R1, R2, done);
                }
                a.label(store).stxDW(R0, 0, R2).stDW(R0, 8, 1);
            }
            case AVG, STATS -> a.ldxDW(R1, R0, 0).add64(R1, 1).stxDW(R0, 0, R1)
                    .ldxDW(R1, R0, 8).ldxDW(R2, R10, arg).add64(R1, R2).stxDW(R0, 8, R1);
            case VALUE -> throw new IllegalStateException();
        }
        a.label(done);
    }

    /** bpftrace's log2 bucket of the value at {@code arg}: 0 below zero, 1 for 0, 2 + floor(log2(v)) above. */
    private void histBucket(int arg, int bucketOff) {
        String done = label("bucket");
        a.ldxDW(R1, R10, arg).mov64(R0, 0).jslt(R1, 0, done).mov64(R0, 1).jeq(R1, 0, done).mov64(R0, 2);
        for (int shift : new int[] {32, 16, 8, 4, 2, 1}) {
            String next = label("log2");
            a.mov64(R2, R1).rsh64(R2, shift).jeq(R2, 0, next).mov64(R1, R2).add64(R0, shift).label(next);
        }
        a.label(done).stxDW(R10, bucketOff, R0);
    }

    /** lhist's bucket: 0 below min, buckets+1 at or above max, else 1 + (v - min) / step. */
    private void lhistBucket(MapInfo info, int arg, int bucketOff) {
        String done = label("lbucket");
        a.ldxDW(R1, R10, arg);
        constant(R2, info.lhistMin());
        a.mov64(R0, 0).jslt(R1, R2, done);
        constant(R3, info.lhistMax());
        a.mov64(R0, info.lhistBuckets() + 1).jsge(R1, R3, done);
        a.mov64(R0, R1).sub64(R0, R2);
        constant(R3, info.lhistStep());
        a.div64(R0, R3).add64(R0, 1);
        a.label(done).stxDW(R10, bucketOff, R0);
    }

    // ---- calls as statements ----

    /** Generates a call statement; returns whether it ends the program ({@code exit()}). */
    private boolean call(Expr.Call c) {
        switch (c.name()) {
            case "printf" -> {
                Expr.StringLiteral fmt = (Expr.StringLiteral) c.args().getFirst();
                printf(fmt.value(), c.args().subList(1, c.args().size()));
            }
            case "print" -> {
                Expr arg = c.args().getFirst();
                if (arg instanceof Expr.MapAccess m && m.keys().isEmpty() && info(m.name()) != null
                        && analysis.type(arg) instanceof Type.None) {
                    signal(new Event.PrintMap(m.name()));
                } else {
                    printf(analysis.type(arg) instanceof Type.Str ? "%s\n" : "%d\n", List.of(arg));
                }
            }
            case "clear" -> signal(new Event.ClearMap(((Expr.MapAccess) c.args().getFirst()).name()));
            case "zero" -> signal(new Event.ZeroMap(((Expr.MapAccess) c.args().getFirst()).name()));
            case "exit" -> {
                signal(new Event.Exit());
                a.ja("exit");
                return true;
            }
            case "delete" -> {
                Expr.MapAccess m = (Expr.MapAccess) c.args().getFirst();
                MapInfo info = info(m.name());
                if (info.kind().bucketed() || info.kind() == MapKind.AVG || info.kind() == MapKind.STATS) {
                    throw new SourceException(c.position(), "delete() of a " + info.kind().name().toLowerCase(
                            java.util.Locale.ROOT) + "() element is not supported yet: clear() the map");
                }
                int key = key(info, m.keys());
                a.loadMapFd(R1, map(m.name()));
                stackPointer(R2, key);
                a.call(Helper.MAP_DELETE_ELEM);
            }
            default -> throw new SourceException(c.position(), c.name() + "() cannot be used as a statement");
        }
        return false;
    }

    private void printf(String format, List<Expr> args) {
        List<Type> types = new ArrayList<>();
        for (Expr e : args) types.add(analysis.type(e));
        int id = eventTable.id(new Event.Printf(format, types));
        int size = 8;
        for (Type t : types) size += t.size();
        int buf = alloc(size);
        int pos = 8;
        for (int i = 0; i < args.size(); i++) {
            Type t = types.get(i);
            if (t instanceof Type.Str) {
                evalStr(args.get(i), buf + pos, t.size());
            } else {
                evalInt(args.get(i));
                a.stxDW(R10, buf + pos, R0);
            }
            pos += t.size();
        }
        a.mov64(R1, id).stxDW(R10, buf, R1);
        output(buf, size);
    }

    /** Sends a record that is only an event id. */
    private void signal(Event event) {
        int buf = alloc(8);
        a.mov64(R1, eventTable.id(event)).stxDW(R10, buf, R1);
        output(buf, 8);
    }

    private void output(int buf, int size) {
        a.loadMapFd(R1, events);
        stackPointer(R2, buf);
        a.mov64(R3, size).mov64(R4, 0).call(Helper.RINGBUF_OUTPUT);
    }

    // ---- integer expressions: value in r0 ----

    private void evalInt(Expr e) {
        switch (e) {
            case Expr.IntLiteral i -> constant(R0, i.value());
            case Expr.Positional p -> constant(R0, p.index() == 0 ? analysis.positionals().size()
                    : parsePositional(analysis.positional(p.index())));
            case Expr.Variable v -> a.ldxDW(R0, R10, variableSlots.get(v.name()));
            case Expr.MapAccess m -> {
                MapInfo info = info(m.name());
                int key = key(info, m.keys());
                String done = label("mapread");
                lookup(m.name(), key);
                a.jeq(R0, 0, done).ldxDW(R0, R0, 0).label(done);
            }
            case Expr.Builtin b -> builtin(b);
            case Expr.Binary b -> binary(b);
            case Expr.Unary u -> {
                evalInt(u.operand());
                switch (u.op()) {
                    case "-" -> a.neg64(R0);
                    case "~" -> a.xor64(R0, -1);
                    default -> {
                        String t = label("not");
                        a.mov64(R1, R0).mov64(R0, 1).jeq(R1, 0, t).mov64(R0, 0).label(t);
                    }
                }
            }
            case Expr.Ternary t -> {
                String otherwise = label("telse");
                String end = label("tend");
                evalInt(t.condition());
                a.jeq(R0, 0, otherwise);
                evalInt(t.then());
                a.ja(end).label(otherwise);
                evalInt(t.otherwise());
                a.label(end);
            }
            case Expr.Field f -> field(f);
            case Expr.Call c -> throw new SourceException(c.position(), c.name() + "() has no integer value");
            case Expr.StringLiteral s -> throw new SourceException(s.position(), "a string is not an integer");
        }
    }

    private static long parsePositional(String v) {
        if (v.isEmpty()) return 0;
        return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16)
                : v.startsWith("-0x") ? -Long.parseUnsignedLong(v.substring(3), 16) : Long.parseLong(v);
    }

    private void builtin(Expr.Builtin b) {
        switch (b.name()) {
            case "pid" -> a.call(Helper.GET_CURRENT_PID_TGID).rsh64(R0, 32);
            case "tid" -> a.call(Helper.GET_CURRENT_PID_TGID).mov32(R0, R0);
            case "uid" -> a.call(Helper.GET_CURRENT_UID_GID).mov32(R0, R0);
            case "gid" -> a.call(Helper.GET_CURRENT_UID_GID).rsh64(R0, 32);
            case "nsecs" -> a.call(Helper.KTIME_GET_NS);
            case "elapsed" -> a.call(Helper.KTIME_GET_NS).ldImm64(R1, startNs).sub64(R0, R1);
            case "cpu" -> a.call(Helper.GET_SMP_PROCESSOR_ID);
            case "curtask" -> a.call(Helper.GET_CURRENT_TASK);
            case "rand" -> a.call(Helper.GET_PRANDOM_U32);
            case "cgroup" -> a.call(Helper.GET_CURRENT_CGROUP_ID);
            case "retval" -> a.ldxDW(R0, R6, RAX_OFFSET);
            default -> {
                if (b.name().matches("arg[0-5]")) {
                    a.ldxDW(R0, R6, ARG_OFFSETS[b.name().charAt(3) - '0']);
                } else {
                    throw new SourceException(b.position(), b.name() + " is not supported by the code generator yet");
                }
            }
        }
    }

    private void binary(Expr.Binary b) {
        if (b.op().equals("&&") || b.op().equals("||")) {
            String shortCut = label("logic");
            String end = label("logicend");
            boolean and = b.op().equals("&&");
            evalInt(b.left());
            if (and) a.jeq(R0, 0, shortCut);
            else a.jne(R0, 0, shortCut);
            evalInt(b.right());
            if (and) a.jeq(R0, 0, shortCut);
            else a.jne(R0, 0, shortCut);
            a.mov64(R0, and ? 1 : 0).ja(end).label(shortCut).mov64(R0, and ? 0 : 1).label(end);
            return;
        }
        if (analysis.type(b.left()) instanceof Type.Str) {
            stringEquality(b);
            return;
        }
        int mark = stack;
        int tmp = alloc(8);
        evalInt(b.left());
        a.stxDW(R10, tmp, R0);
        evalInt(b.right());
        a.mov64(R1, R0).ldxDW(R0, R10, tmp);
        stack = mark;
        boolean signed = analysis.type(b.left()) instanceof Type.Int l && l.signed()
                && analysis.type(b.right()) instanceof Type.Int r && r.signed();
        switch (b.op()) {
            case "+" -> a.add64(R0, R1);
            case "-" -> a.sub64(R0, R1);
            case "*" -> a.mul64(R0, R1);
            case "/" -> {
                if (signed) a.sdiv64(R0, R1);
                else a.div64(R0, R1);
            }
            case "%" -> {
                if (signed) a.smod64(R0, R1);
                else a.mod64(R0, R1);
            }
            case "&" -> a.and64(R0, R1);
            case "|" -> a.or64(R0, R1);
            case "^" -> a.xor64(R0, R1);
            case "<<" -> a.lsh64(R0, R1);
            case ">>" -> {
                if (signed) a.arsh64(R0, R1);
                else a.rsh64(R0, R1);
            }
            default -> compare(b.op(), signed);
        }
    }

    /** r0 = (r0 op r1) ? 1 : 0. */
    private void compare(String op, boolean signed) {
        String yes = label("true");
        String end = label("cmpend");
        switch (op) {
            case "==" -> a.jeq(R0, R1, yes);
            case "!=" -> a.jne(R0, R1, yes);
            case "<" -> {
                if (signed) a.jslt(R0, R1, yes);
                else a.jlt(R0, R1, yes);
            }
            case "<=" -> {
                if (signed) a.jsle(R0, R1, yes);
                else a.jle(R0, R1, yes);
            }
            case ">" -> {
                if (signed) a.jsgt(R0, R1, yes);
                else a.jgt(R0, R1, yes);
            }
            case ">=" -> {
                if (signed) a.jsge(R0, R1, yes);
                else a.jge(R0, R1, yes);
            }
            default -> throw new IllegalStateException("operator " + op);
        }
        a.mov64(R0, 0).ja(end).label(yes).mov64(R0, 1).label(end);
    }

    /** {@code ==}/{@code !=} on strings: byte by byte up to the first NUL (or the shorter buffer's end). */
    private void stringEquality(Expr.Binary b) {
        int mark = stack;
        int ls = analysis.type(b.left()).size();
        int rs = analysis.type(b.right()).size();
        int left = alloc(ls);
        int right = alloc(rs);
        evalStr(b.left(), left, ls);
        evalStr(b.right(), right, rs);
        int n = Math.min(ls, rs);
        // against a literal, the bytes after its NUL never matter
        for (Expr side : List.of(b.left(), b.right())) {
            if (side instanceof Expr.StringLiteral lit) {
                n = Math.min(n, lit.value().getBytes(StandardCharsets.UTF_8).length + 1);
            }
        }
        String equal = label("streq");
        String differ = label("strne");
        String end = label("strend");
        for (int i = 0; i < n; i++) {
            a.ldxB(R1, R10, left + i).ldxB(R2, R10, right + i).jne(R1, R2, differ).jeq(R1, 0, equal);
        }
        boolean eq = b.op().equals("==");
        a.label(equal).mov64(R0, eq ? 1 : 0).ja(end).label(differ).mov64(R0, eq ? 0 : 1).label(end);
        stack = mark;
    }

    private TracepointFormat.Field tracepointField(Expr.Field f) {
        TracepointFormat format = ((ProbeTarget.Tracepoint) target).format();
        return format.field(f.field()).orElseThrow();
    }

    private void field(Expr.Field f) {
        TracepointFormat.Field field = tracepointField(f);
        Type.Int t = (Type.Int) Checker.fieldType(field);
        switch (Math.min(field.size(), 8)) {
            case 1 -> a.ldxB(R0, R6, field.offset());
            case 2 -> a.ldxH(R0, R6, field.offset());
            case 4 -> a.ldxW(R0, R6, field.offset());
            default -> a.ldxDW(R0, R6, field.offset());
        }
        int bits = Math.min(field.size(), 8) * 8;
        if (t.signed() && bits < 64) a.lsh64(R0, 64 - bits).arsh64(R0, 64 - bits);
    }

    // ---- string expressions: written at a stack buffer ----

    /** Writes the string {@code e}, NUL-padded to {@code size} bytes, at {@code dst}. */
    private void evalStr(Expr e, int dst, int size) {
        switch (e) {
            case Expr.StringLiteral s -> literal(s.value(), dst, size);
            case Expr.Positional p -> literal(analysis.positional(p.index()), dst, size);
            case Expr.Variable v -> {
                int n = Math.min(size, variableTypes.get(v.name()).size());
                zero(dst, size);
                copy(R10, variableSlots.get(v.name()), dst, n);
            }
            case Expr.MapAccess m -> {
                MapInfo info = info(m.name());
                int mark = stack;
                int key = key(info, m.keys());
                String done = label("strread");
                zero(dst, size);
                lookup(m.name(), key);
                a.jeq(R0, 0, done);
                copy(R0, 0, dst, Math.min(size, info.valueSize()));
                a.label(done);
                stack = mark;
            }
            case Expr.Builtin b -> {
                switch (b.name()) {
                    case "comm" -> {
                        zero(dst, size);
                        stackPointer(R1, dst);
                        a.mov64(R2, Math.min(16, size)).call(Helper.GET_CURRENT_COMM);
                    }
                    case "probe" -> literal(target.name(), dst, size);
                    case "func" -> literal(((ProbeTarget.Uprobe) target).symbol(), dst, size);
                    default -> throw new SourceException(b.position(), b.name() + " is not a string");
                }
            }
            case Expr.Ternary t -> {
                String otherwise = label("selse");
                String end = label("send");
                evalInt(t.condition());
                a.jeq(R0, 0, otherwise);
                evalStr(t.then(), dst, size);
                a.ja(end).label(otherwise);
                evalStr(t.otherwise(), dst, size);
                a.label(end);
            }
            case Expr.Call c when c.name().equals("str") -> {
                Expr arg = c.args().getFirst();
                int limit = Math.min(size, analysis.type(c).size());
                if (c.args().size() == 2) {
                    limit = Math.min(limit, (int) ((Expr.IntLiteral) c.args().get(1)).value());
                }
                if (analysis.type(arg) instanceof Type.Str) {
                    evalStr(arg, dst, size);
                    return;
                }
                evalInt(arg);
                a.mov64(R3, R0);
                zero(dst, size);
                stackPointer(R1, dst);
                // the legacy helper reads user or kernel memory, whichever the address is in (x86-64)
                a.mov64(R2, limit).call(Helper.PROBE_READ_STR);
            }
            case Expr.Field f -> {
                TracepointFormat.Field field = tracepointField(f);
                zero(dst, size);
                stackPointer(R1, dst);
                if (field.dataLoc()) {
                    // __data_loc: the low 16 bits are the data's offset in the record
                    a.ldxW(R3, R6, field.offset()).and64(R3, 0xffff).add64(R3, R6);
                    a.mov64(R2, size).call(Helper.PROBE_READ_KERNEL_STR);
                } else {
                    a.mov64(R3, R6).add64(R3, field.offset());
                    a.mov64(R2, Math.min(size, field.size())).call(Helper.PROBE_READ_KERNEL);
                }
            }
            default -> throw new SourceException(e.position(), "this expression is not a string");
        }
    }

    /** A constant string, truncated to {@code size - 1} bytes, NUL-padded. */
    private void literal(String s, int dst, int size) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        byte[] buf = new byte[size];
        System.arraycopy(bytes, 0, buf, 0, Math.min(bytes.length, size - 1));
        for (int i = 0; i < size; i += 4) {
            int word = (buf[i] & 0xff) | (buf[i + 1] & 0xff) << 8 | (buf[i + 2] & 0xff) << 16 | (buf[i + 3] & 0xff) << 24;
            a.stW(R10, dst + i, word);
        }
    }
}
