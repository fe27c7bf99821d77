package io.bpf4j.bpftrace.codegen;

import io.bpf4j.bpftrace.ast.Expr;
import io.bpf4j.bpftrace.ast.Position;
import io.bpf4j.bpftrace.ast.SourceException;
import io.bpf4j.bpftrace.ast.Stmt;
import io.bpf4j.bpftrace.check.Analysis;
import io.bpf4j.bpftrace.check.CheckedProbe;
import io.bpf4j.bpftrace.check.Checker;
import io.bpf4j.bpftrace.check.KernelSymbolAddress;
import io.bpf4j.bpftrace.check.MapInfo;
import io.bpf4j.bpftrace.check.MapKind;
import io.bpf4j.bpftrace.check.ProbeTarget;
import io.bpf4j.bpftrace.check.Type;
import io.bpf4j.bpftrace.check.UprobeArgs;
import io.bpf4j.bpftrace.format.Printf;
import io.bpf4j.bpftrace.runtime.Event;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.asm.MapReference;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.link.TracepointFormat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static io.bpf4j.core.asm.Register.R4;
import static io.bpf4j.core.asm.Register.R6;
import static io.bpf4j.core.asm.Register.R7;

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
    private static final int SP_OFFSET = 152;
    private static final int MAX_STACK = 512;
    /** bpf_get_stackid's flag for the user stack. */
    private static final int BPF_F_USER_STACK = 1 << 8;

    private final Analysis analysis;
    private final Map<String, ? extends MapReference> maps;
    private final MapReference events;
    private final MapReference joinScratch;
    private final MapReference stacks;
    private final MapReference lostCounter;
    private final EventTable eventTable;
    private final long startNs;
    private final Assembler a = new Assembler();
    private final Map<String, Integer> variableSlots = new HashMap<>();
    private final Map<String, Type> variableTypes = new HashMap<>();
    private ProbeTarget target;
    private int stack;
    private int maxStack;
    private int labels;
    /** Where each run of instructions comes from, by its first slot. */
    private final TreeMap<Integer, Position> positions = new TreeMap<>();
    /** The statements and expressions being generated, innermost first. */
    private final java.util.ArrayDeque<Position> open = new java.util.ArrayDeque<>();
    /** The enclosing while loops' labels: {end, condition}. */
    private final java.util.ArrayDeque<String[]> loops = new java.util.ArrayDeque<>();

    private CodeGen(Analysis analysis, Map<String, ? extends MapReference> maps, MapReference events,
                    MapReference joinScratch, MapReference stacks, MapReference lostCounter,
                    EventTable eventTable, long startNs) {
        this.analysis = analysis;
        this.stacks = stacks;
        this.maps = maps;
        this.events = events;
        this.joinScratch = joinScratch;
        this.lostCounter = lostCounter;
        this.eventTable = eventTable;
        this.startNs = startNs;
    }

    /**
     * The program of {@code probe} at {@code target}.
     *
     * @param maps       the created maps by name, as the analysis lists them
     * @param events     the ring buffer that carries events to user space
     * @param joinScratch a one-element per-CPU array of {@link Event.Join}'s record size, where join() builds it
     * @param stacks     the stack trace map kstack and ustack record into (null when the program uses neither)
     * @param lostCounter a one-element per-CPU array of a {@code u64}: the records {@code events} had no room for
     * @param eventTable where event ids are registered
     * @param startNs    CLOCK_MONOTONIC at the start of tracing, what {@code elapsed} counts from
     * @return the instructions, and where in the source each run of them comes from
     * @throws SourceException when the block needs something this generator cannot produce
     */
    public static Generated generate(Analysis analysis, CheckedProbe probe, ProbeTarget target,
                                        Map<String, ? extends MapReference> maps, MapReference events,
                                        MapReference joinScratch, MapReference stacks, MapReference lostCounter,
                                        EventTable eventTable, long startNs) {
        CodeGen g = new CodeGen(analysis, maps, events, joinScratch, stacks, lostCounter, eventTable, startNs);
        g.target = target;
        Instructions insns = g.program(probe);
        // nothing follows a record at the end: the kernel wants every line info on an instruction
        return new Generated(insns, g.positions.headMap(insns.size(), false));
    }

    /**
     * A generated program.
     *
     * @param instructions the program
     * @param positions    by the slot of the first instruction of each run: the statement or expression it
     *                     evaluates, innermost
     */
    public record Generated(Instructions instructions, NavigableMap<Integer, Position> positions) {
        public Generated {
            positions = java.util.Collections.unmodifiableNavigableMap(new TreeMap<>(positions));
        }

        /** The statement or expression that instruction {@code slot} is part of. */
        public Position positionOf(int slot) {
            Map.Entry<Integer, Position> e = positions.floorEntry(slot);
            return e == null ? positions.firstEntry().getValue() : e.getValue();
        }
    }

    /** Marks the instructions generated from now on as {@code position}'s, until {@link #leave()}. */
    private void enter(Position position) {
        open.push(position);
        positions.put(a.slot(), position);
    }

    /** Ends the innermost {@link #enter}: what follows belongs to the enclosing node again. */
    private void leave() {
        open.pop();
        if (!open.isEmpty()) positions.put(a.slot(), open.peek());
    }

    private Instructions program(CheckedProbe probe) {
        enter(probe.block().position());
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
        collectVariableTypes(body);
        for (Map.Entry<String, Type> e : variableTypes.entrySet()) {
            int slot = alloc(e.getValue().size());
            zero(slot, e.getValue().size());
            variableSlots.put(e.getKey(), slot);
        }
    }

    /**
     * Records in {@link #variableTypes} the largest type assigned to each variable, nested blocks included (their
     * variables share the probe's slots: one slot each, however deep the {@code if}s that assign it).
     */
    private void collectVariableTypes(List<Stmt> body) {
        for (Stmt s : body) {
            switch (s) {
                case Stmt.AssignVar v -> {
                    Type t = analysis.type(v.target());
                    Type old = variableTypes.get(v.target().name());
                    if (old == null || t.size() > old.size()) variableTypes.put(v.target().name(), t);
                }
                case Stmt.If i -> {
                    collectVariableTypes(i.then());
                    collectVariableTypes(i.otherwise());
                }
                case Stmt.Unroll u -> collectVariableTypes(u.body());
                case Stmt.While w -> collectVariableTypes(w.body());
                default -> {
                }
            }
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
        enter(s.position());
        try {
            return statementCode(s);
        } finally {
            leave();
        }
    }

    private boolean statementCode(Stmt s) {
        switch (s) {
            case Stmt.ExprStmt e -> {
                switch (e.expr()) {
                    case Expr.Ternary t -> {
                        String otherwise = label("selse");
                        String end = label("send");
                        evalInt(t.condition());
                        a.jeq(R0, 0, otherwise);
                        boolean thenEnds = call((Expr.Call) t.then());
                        if (!thenEnds) a.ja(end);
                        a.label(otherwise);
                        boolean elseEnds = call((Expr.Call) t.otherwise());
                        a.label(end);
                        return thenEnds && elseEnds;
                    }
                    case Expr.Increment i -> {
                        evalInt(i);
                        return false;
                    }
                    case Expr.Call c -> {
                        return call(c);
                    }
                    default -> {
                        // evaluated for its effects (a map read, a probe_read): bpftrace allows it
                        if (!analysis.type(e.expr()).inBuffer()) evalInt(e.expr());
                        return false;
                    }
                }
            }
            case Stmt.AssignVar v -> {
                Type t = variableTypes.get(v.target().name());
                int slot = variableSlots.get(v.target().name());
                if (t.inBuffer()) {
                    evalStr(v.value(), slot, t.size(), t);
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
                long n = switch (u.count()) {
                    case Expr.IntLiteral i -> i.value();
                    case Expr.Positional p -> Long.decode(analysis.positional(p.index()));
                    default -> throw new IllegalStateException("unchecked unroll count");
                };
                for (int i = 0; i < n; i++) {
                    if (statements(u.body())) return true;
                }
                return false;
            }
            case Stmt.While w -> {
                String top = label("while");
                String end = label("endwhile");
                a.label(top);
                evalInt(w.condition());
                a.jeq(R0, 0, end);
                loops.push(new String[] {end, top});
                boolean ends = statements(w.body());
                loops.pop();
                if (!ends) a.ja(top);
                a.label(end);
                return false;
            }
            case Stmt.Jump j -> {
                a.ja(loops.peek()[j.isBreak() ? 0 : 1]);
                return true;
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
            if (t.inBuffer()) {
                evalStr(keys.get(i), off + pos, t.size(), t);
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
            if (info.value().inBuffer()) {
                evalStr(m.value(), value, info.valueSize(), info.value());
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
                    long top = c.args().size() > 1 ? ((Expr.IntLiteral) c.args().get(1)).value() : 0;
                    long div = c.args().size() > 2 ? ((Expr.IntLiteral) c.args().get(2)).value() : 1;
                    signal(new Event.PrintMap(m.name(), top, div));
                } else {
                    Type t = analysis.type(arg);
                    send(eventTable.id(new Event.PrintValue(t)), List.of(arg), List.of(t));
                }
            }
            case "time" -> signal(new Event.Time(c.args().isEmpty() ? "%H:%M:%S\n"
                    : ((Expr.StringLiteral) c.args().getFirst()).value()));
            case "system", "cat" -> {
                String fmt = ((Expr.StringLiteral) c.args().getFirst()).value();
                List<Expr> args = c.args().subList(1, c.args().size());
                List<Type> types = args.stream().map(analysis::type).toList();
                Event ev = c.name().equals("system") ? new Event.System(fmt, types) : new Event.Cat(fmt, types);
                send(eventTable.id(ev), args, types);
            }
            case "join" -> join(c);
            case "signal" -> {
                Expr sig = c.args().getFirst();
                if (sig instanceof Expr.StringLiteral lit) a.mov64(R1, Checker.signalNumber(lit));
                else {
                    evalInt(sig);
                    a.mov64(R1, R0);
                }
                a.call(Helper.SEND_SIGNAL);
            }
            case "clear" -> {
                String name = ((Expr.MapAccess) c.args().getFirst()).name();
                // an aggregation without keys keeps its one element, zeroed, as in bpftrace
                signal(keylessAggregation(info(name)) ? new Event.ZeroMap(name) : new Event.ClearMap(name));
            }
            case "zero" -> signal(new Event.ZeroMap(((Expr.MapAccess) c.args().getFirst()).name()));
            case "exit" -> {
                signal(new Event.Exit());
                a.ja("exit");
                return true;
            }
            case "delete" -> {
                Expr.MapAccess m = (Expr.MapAccess) c.args().getFirst();
                MapInfo info = info(m.name());
                if (keylessAggregation(info)) {
                    signal(new Event.ZeroMap(m.name()));
                    return false;
                }
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

    private static boolean keylessAggregation(MapInfo info) {
        return info.keys().isEmpty() && info.kind() != MapKind.VALUE;
    }

    private void printf(String format, List<Expr> args) {
        List<Type> types = new ArrayList<>();
        for (Expr e : args) types.add(analysis.type(e));
        send(eventTable.id(new Event.Printf(format, types)), args, types);
    }

    /** Sends event {@code id} with the values of {@code args} after it (8 bytes per integer, a buffer's size else). */
    private void send(int id, List<Expr> args, List<Type> types) {
        int size = 8;
        for (Type t : types) size += t.size();
        int buf = alloc(size);
        int pos = 8;
        for (int i = 0; i < args.size(); i++) {
            Type t = types.get(i);
            if (t.inBuffer()) {
                evalStr(args.get(i), buf + pos, t.size(), t);
            } else {
                evalInt(args.get(i));
                a.stxDW(R10, buf + pos, R0);
            }
            pos += t.size();
        }
        a.mov64(R1, id).stxDW(R10, buf, R1);
        output(buf, size);
    }

    /**
     * join(argv[, delimiter]): the strings are read into a per-CPU scratch map value (they do not fit the stack),
     * which is then sent as the record.
     */
    private void join(Expr.Call c) {
        String delimiter = c.args().size() == 2 ? ((Expr.StringLiteral) c.args().get(1)).value() : " ";
        int id = eventTable.id(new Event.Join(delimiter));
        int n = Event.Join.JOIN_ARGS;
        int each = Event.Join.JOIN_ARG_SIZE;
        int argv = alloc(8);
        int tmp = alloc(8);
        evalInt(c.args().getFirst());
        a.stxDW(R10, argv, R0);
        a.stDW(R10, tmp, 0);
        String done = label("joindone");
        String send = label("joinsend");
        a.loadMapFd(R1, joinScratch);
        stackPointer(R2, tmp);
        a.call(Helper.MAP_LOOKUP_ELEM).jeq(R0, 0, done).mov64(R7, R0);
        a.mov64(R1, id).stxDW(R7, 0, R1);
        for (int i = 0; i < n; i++) a.stB(R7, 8 + i * each, 0);
        for (int i = 0; i < n; i++) {
            stackPointer(R1, tmp);
            a.mov64(R2, 8).ldxDW(R3, R10, argv).add64(R3, 8 * i).call(Helper.PROBE_READ);
            a.ldxDW(R3, R10, tmp).jeq(R3, 0, send);
            a.mov64(R1, R7).add64(R1, 8 + i * each).mov64(R2, each).call(Helper.PROBE_READ_STR);
        }
        a.label(send).loadMapFd(R1, events).mov64(R2, R7).mov64(R3, 8 + n * each).mov64(R4, 0)
                .call(Helper.RINGBUF_OUTPUT);
        countLoss();
        a.label(done);
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
        countLoss();
    }

    /**
     * After {@code bpf_ringbuf_output}: when the ring buffer had no room (r0 != 0), adds one to the loss counter, so
     * that user space can say how many events were lost as bpftrace does — a full ring buffer drops silently
     * otherwise. Atomic: a preempted program on the same CPU may be counting too.
     */
    private void countLoss() {
        String sent = label("sent");
        int key = alloc(8);
        a.jeq(R0, 0, sent).stDW(R10, key, 0).loadMapFd(R1, lostCounter);
        stackPointer(R2, key);
        a.call(Helper.MAP_LOOKUP_ELEM).jeq(R0, 0, sent).mov64(R1, 1).atomicAdd(Size.DW, R0, 0, R1).label(sent);
    }

    // ---- integer expressions: value in r0 ----

    private void evalInt(Expr e) {
        enter(e.position());
        try {
            evalIntCode(e);
        } finally {
            leave();
        }
    }

    private void evalIntCode(Expr e) {
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
            case Expr.Unary u when u.op().equals("*") -> {
                evalInt(u.operand());
                readInt(analysis.type(u));
            }
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
            case Expr.Field f when isArgs(f) -> field(f);
            case Expr.Field f when !f.arrow() && analysis.type(f.target()) instanceof Type.Tuple tu -> {
                int base = buffer(f.target());
                int i = Integer.parseInt(f.field());
                loadInt(R0, R10, base + tu.offsets().get(i), (Type.Int) intOf(tu.elements().get(i)));
            }
            case Expr.Field f -> member(f);
            case Expr.Index i -> {
                if (addressable(i)) {
                    evalAddress(i);
                    readInt(analysis.type(i));
                } else {
                    Type.Array arr = (Type.Array) analysis.type(i.target());
                    int base = buffer(i.target());
                    int idx = (int) constantIndex(i);
                    loadInt(R0, R10, base + idx * arr.element().cSize(), intOf(arr.element()));
                }
            }
            case Expr.Cast c -> {
                evalInt(c.operand());
                if (analysis.type(c) instanceof Type.Int t && t.bytes() < 8) {
                    int shift = 64 - t.bytes() * 8;
                    a.lsh64(R0, shift);
                    if (t.signed()) a.arsh64(R0, shift);
                    else a.rsh64(R0, shift);
                }
            }
            case Expr.SizeOf z -> constant(R0, z.operand() != null ? analysis.type(z.operand()).cSize()
                    : analysis.ctypes().resolve(analysis.ctypes().parse(z.type())).cSize());
            case Expr.Increment inc -> increment(inc);
            case Expr.Call c when c.name().equals("bswap") -> {
                evalInt(c.args().getFirst());
                int bits = ((Type.Int) analysis.type(c)).bytes() * 8;
                if (bits > 8) a.bswap(R0, bits);
            }
            case Expr.Call c when c.name().equals("uptr") || c.name().equals("kptr") -> evalInt(c.args().getFirst());
            case Expr.Call c when c.name().equals("kaddr") -> constant(R0,
                    KernelSymbolAddress.of(constantString(c.args().getFirst())).orElseThrow());
            case Expr.Call c when c.name().equals("strncmp") -> strncmp(c);
            case Expr.Call c when c.name().equals("reg") -> a.ldxDW(R0, R6,
                    Checker.regOffset(((Expr.StringLiteral) c.args().getFirst()).value()));
            case Expr.Call c when c.name().equals("strftime") -> evalInt(c.args().get(1));
            case Expr.Call c when c.name().equals("strcontains") -> strcontains(c);
            case Expr.Call c when c.name().equals("kstack") || c.name().equals("ustack") -> stackId(
                    c.name().equals("ustack"));
            case Expr.Call c -> throw new SourceException(c.position(), c.name() + "() has no integer value");
            case Expr.Tuple t -> throw new SourceException(t.position(), "a tuple is not an integer");
            case Expr.StringLiteral s -> throw new SourceException(s.position(), "a string is not an integer");
        }
    }

    private static long parsePositional(String v) {
        if (v.isEmpty()) return 0;
        return v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.decode(v);
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
            case "ctx" -> a.mov64(R0, R6);
            case "numaid" -> a.call(Helper.GET_NUMA_NODE_ID);
            case "rand" -> a.call(Helper.GET_PRANDOM_U32);
            case "cgroup" -> a.call(Helper.GET_CURRENT_CGROUP_ID);
            case "retval" -> a.ldxDW(R0, R6, RAX_OFFSET);
            case "kstack" -> stackId(false);
            case "ustack" -> stackId(true);
            default -> {
                if (b.name().matches("sarg\\d+")) {
                    // at a function's entry the stack holds the return address, then the arguments passed on it
                    a.ldxDW(R0, R6, SP_OFFSET).add64(R0, 8 * (Integer.parseInt(b.name().substring(4)) + 1));
                    readInt(Type.Int.U64);
                } else if (target instanceof ProbeTarget.Usdt u && b.name().matches("arg\\d+")) {
                    usdtArgument(u.site().args().get(Integer.parseInt(b.name().substring(3))));
                } else if (b.name().matches("arg[0-5]")) {
                    a.ldxDW(R0, R6, ARG_OFFSETS[b.name().charAt(3) - '0']);
                } else if (analysis.ctypes().enumValue(b.name()).isPresent()) {
                    constant(R0, analysis.ctypes().enumValue(b.name()).orElseThrow());
                } else {
                    throw new SourceException(b.position(), b.name() + " is not supported by the code generator yet");
                }
            }
        }
    }

    /**
     * r0 = the id of the current kernel or user stack in the stack trace map, as bpftrace keeps it: the id in the
     * low 32 bits (a negative errno when there is no stack), and for a user stack the process id in the high 32
     * bits, which user space needs to name the frames.
     */
    private void stackId(boolean user) {
        if (stacks == null) throw new IllegalStateException("no stack trace map for kstack/ustack");
        a.mov64(R1, R6).loadMapFd(R2, stacks).mov64(R3, user ? BPF_F_USER_STACK : 0).call(Helper.GET_STACKID)
                .mov32(R0, R0);
        if (!user) return;
        int id = alloc(8);
        a.stxDW(R10, id, R0).call(Helper.GET_CURRENT_PID_TGID).rsh64(R0, 32).lsh64(R0, 32).ldxDW(R1, R10, id)
                .or64(R0, R1);
    }

    /**
     * r0 = a USDT argument: a constant, a register, or memory at a register plus an offset (and an index register
     * times a scale), {@code size} bytes wide, sign- or zero-extended as its spec says (a constant too: {@code 4@$-16}
     * is 4294967280).
     */
    private void usdtArgument(io.bpf4j.core.link.Usdt.Argument arg) {
        switch (arg.kind()) {
            case CONST -> {
                int shift = 64 - arg.size() * 8;
                long v = arg.value() << shift;
                constant(R0, arg.signed() ? v >> shift : v >>> shift);
                return;
            }
            case REGISTER -> a.ldxDW(R0, R6, arg.ptRegsOffset());
            case REGISTER_DEREF, INDEXED_DEREF -> {
                a.ldxDW(R0, R6, arg.ptRegsOffset());
                if (arg.kind() == io.bpf4j.core.link.Usdt.Kind.INDEXED_DEREF) {
                    a.ldxDW(R1, R6, arg.indexPtRegsOffset());
                    if (arg.scale() > 1) a.lsh64(R1, Integer.numberOfTrailingZeros(arg.scale()));
                    a.add64(R0, R1);
                }
                if (arg.value() != 0) a.add64(R0, (int) arg.value());
                readInt(new Type.Int(arg.size(), arg.signed()));
                return;
            }
            case UNSUPPORTED -> throw new IllegalStateException("unchecked USDT argument " + arg.spec());
        }
        if (arg.size() < 8) {
            int shift = 64 - arg.size() * 8;
            a.lsh64(R0, shift);
            if (arg.signed()) a.arsh64(R0, shift);
            else a.rsh64(R0, shift);
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
        if (analysis.type(b.left()) instanceof Type.Str || analysis.type(b.left()) instanceof Type.Buf) {
            stringEquality(b);
            return;
        }
        if (analysis.type(b.left()) instanceof Type.Array arr) {
            int mark = stack;
            int left = alloc(arr.size());
            int right = alloc(arr.size());
            evalStr(b.left(), left, arr.size(), arr);
            evalStr(b.right(), right, arr.size(), arr);
            String differ = label("arrne");
            String end = label("arrend");
            for (int i = 0; i < arr.size(); i += 8) a.ldxDW(R1, R10, left + i).ldxDW(R2, R10, right + i).jne(R1, R2, differ);
            boolean eq = b.op().equals("==");
            a.mov64(R0, eq ? 1 : 0).ja(end).label(differ).mov64(R0, eq ? 0 : 1).label(end);
            stack = mark;
            return;
        }
        int mark = stack;
        int tmp = alloc(8);
        evalInt(b.left());
        a.stxDW(R10, tmp, R0);
        evalInt(b.right());
        a.mov64(R1, R0).ldxDW(R0, R10, tmp);
        stack = mark;
        if (analysis.type(b.left()) instanceof Type.Ptr p && !(analysis.type(b.right()) instanceof Type.Ptr)
                && (b.op().equals("+") || b.op().equals("-"))) {
            // pointer arithmetic counts in elements, as in C
            int scale = Math.max(1, analysis.ctypes().resolve(p.target()).cSize());
            if (scale != 1) a.mul64(R1, scale);
        }
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

    private String constantString(Expr e) {
        return switch (e) {
            case Expr.StringLiteral s -> s.value();
            case Expr.Positional p -> analysis.positional(p.index());
            case Expr.Binary b -> {
                String str = constantString(b.left());
                yield str.substring((int) Math.min(str.length(), Math.max(0, ((Expr.IntLiteral) b.right()).value())));
            }
            case Expr.Call c -> constantString(c.args().getFirst());
            default -> throw new IllegalStateException("not a constant string: " + e);
        };
    }

    /** strncmp(a, b, n): 0 when the first n bytes (up to a NUL) are equal, else 1. */
    private void strncmp(Expr.Call c) {
        int mark = stack;
        Expr l = c.args().get(0);
        Expr r = c.args().get(1);
        int ls = analysis.type(l).size();
        int rs = analysis.type(r).size();
        int left = alloc(ls);
        int right = alloc(rs);
        evalStr(l, left, ls, analysis.type(l));
        evalStr(r, right, rs, analysis.type(r));
        Expr ne = c.args().get(2);
        long n = ne instanceof Expr.IntLiteral lit ? lit.value()
                : parsePositional(analysis.positional(((Expr.Positional) ne).index()));
        String equal = label("ncmpeq");
        String differ = label("ncmpne");
        String end = label("ncmpend");
        long limit = Math.min(n, Math.max(ls, rs));
        for (int i = 0; i < limit; i++) {
            if (i < ls) a.ldxB(R1, R10, left + i);
            else a.mov64(R1, 0);
            if (i < rs) a.ldxB(R2, R10, right + i);
            else a.mov64(R2, 0);
            a.jne(R1, R2, differ).jeq(R1, 0, equal);
        }
        a.label(equal).mov64(R0, 0).ja(end).label(differ).mov64(R0, 1).label(end);
        stack = mark;
    }

    /** strcontains(haystack, needle): 1 when needle occurs in haystack. */
    private void strcontains(Expr.Call c) {
        int mark = stack;
        Expr h = c.args().get(0);
        Expr nd = c.args().get(1);
        int hs = analysis.type(h).size();
        int ns = analysis.type(nd).size();
        int hay = alloc(hs);
        int needle = alloc(ns);
        evalStr(h, hay, hs, analysis.type(h));
        evalStr(nd, needle, ns, analysis.type(nd));
        String found = label("found");
        String end = label("containsend");
        for (int i = 0; i < hs; i++) {
            String next = label("nexti");
            boolean cut = false;
            for (int j = 0; j < ns; j++) {
                a.ldxB(R2, R10, needle + j).jeq(R2, 0, found);
                if (i + j >= hs) {
                    a.ja(next);
                    cut = true;
                    break;
                }
                a.ldxB(R1, R10, hay + i + j).jne(R1, R2, next);
            }
            if (!cut) a.ja(found);
            a.label(next);
            if (i < hs - 1) a.ldxB(R1, R10, hay + i).jeq(R1, 0, end + "_no");
        }
        a.label(end + "_no").mov64(R0, 0).ja(end).label(found).mov64(R0, 1).label(end);
        stack = mark;
    }

    /** {@code ==}/{@code !=} on strings: byte by byte up to the first NUL (or the shorter buffer's end). */
    private void stringEquality(Expr.Binary b) {
        int mark = stack;
        int ls = analysis.type(b.left()).size();
        int rs = analysis.type(b.right()).size();
        int left = alloc(ls);
        int right = alloc(rs);
        evalStr(b.left(), left, ls, analysis.type(b.left()));
        evalStr(b.right(), right, rs, analysis.type(b.right()));
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
        if (target instanceof ProbeTarget.Uprobe u) {
            // args->NAME of a uprobe: the argument's register, narrowed to its type as DWARF gives it
            UprobeArgs.Arg arg = Checker.uprobeArg(u, f);
            a.ldxDW(R0, R6, ARG_OFFSETS[arg.index()]);
            if (arg.type() instanceof Type.Int t && t.bytes() < 8) {
                int shift = 64 - t.bytes() * 8;
                a.lsh64(R0, shift);
                if (t.signed()) a.arsh64(R0, shift);
                else a.rsh64(R0, shift);
            }
            return;
        }
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

    // ---- C values: structs, arrays, pointers, tuples ----

    private static boolean isArgs(Expr.Field f) {
        return f.target() instanceof Expr.Builtin b && b.name().equals("args");
    }

    /** An integer type for a value read from memory: pointers are 8-byte unsigned integers. */
    private static Type.Int intOf(Type t) {
        return t instanceof Type.Int i ? i : Type.Int.U64;
    }

    /** Whether {@code e} names memory (through a pointer) whose address can be computed. */
    private boolean addressable(Expr e) {
        return switch (e) {
            case Expr.Unary u -> u.op().equals("*");
            case Expr.Field f -> !isArgs(f) && (f.arrow() || analysis.type(f.target()) instanceof Type.Record
                    && addressable(f.target()));
            case Expr.Index i -> analysis.type(i.target()) instanceof Type.Ptr
                    || analysis.type(i.target()) instanceof Type.Array && addressable(i.target());
            default -> false;
        };
    }

    /** r0 = the address of the memory {@code e} names ({@link #addressable}). */
    private void evalAddress(Expr e) {
        switch (e) {
            case Expr.Unary u -> evalInt(u.operand());
            case Expr.Field f -> {
                if (f.arrow()) evalInt(f.target());
                else evalAddress(f.target());
                Type.Member m = memberOf(f);
                if (m.offset() != 0) a.add64(R0, m.offset());
            }
            case Expr.Index i -> {
                int mark = stack;
                int base = alloc(8);
                if (analysis.type(i.target()) instanceof Type.Ptr) evalInt(i.target());
                else evalAddress(i.target());
                a.stxDW(R10, base, R0);
                evalInt(i.index());
                a.mul64(R0, analysis.type(i).cSize());
                a.ldxDW(R1, R10, base).add64(R0, R1);
                stack = mark;
            }
            default -> throw new IllegalStateException("not addressable: " + e);
        }
    }

    private Type.Member memberOf(Expr.Field f) {
        Type t = analysis.type(f.target());
        if (t instanceof Type.Ptr p) t = analysis.ctypes().resolve(p.target());
        return ((Type.Record) t).member(f.field()).orElseThrow();
    }

    /** r0 = the integer (or pointer) of type {@code t} at the address in r0, read with bpf_probe_read (0 on a fault). */
    private void readInt(Type t) {
        int bytes = t instanceof Type.Int i ? i.bytes() : 8;
        int mark = stack;
        int tmp = alloc(8);
        a.stDW(R10, tmp, 0).mov64(R3, R0);
        stackPointer(R1, tmp);
        a.mov64(R2, bytes).call(Helper.PROBE_READ);
        loadInt(R0, R10, tmp, intOf(t));
        stack = mark;
    }

    /** dst = the integer of type {@code t} at {@code base + off}, widened to 64 bits. */
    private void loadInt(Register dst, Register base, int off, Type.Int t) {
        switch (t.bytes()) {
            case 1 -> a.ldxB(dst, base, off);
            case 2 -> a.ldxH(dst, base, off);
            case 4 -> a.ldxW(dst, base, off);
            default -> a.ldxDW(dst, base, off);
        }
        if (t.signed() && t.bytes() < 8) a.lsh64(dst, 64 - t.bytes() * 8).arsh64(dst, 64 - t.bytes() * 8);
    }

    /** r0 = a struct member that is an integer or a pointer (a bitfield included). */
    private void member(Expr.Field f) {
        Type.Member m = memberOf(f);
        if (addressable(f)) {
            evalAddress(f);
            if (m.bitWidth() == 0) {
                readInt(m.type());
                return;
            }
            a.add64(R0, m.bitOffset() / 8);
            readInt(Type.Int.U64);
        } else {
            int base = buffer(f.target());
            if (m.bitWidth() == 0) {
                loadInt(R0, R10, base + m.offset(), intOf(m.type()));
                return;
            }
            copyBytes(base + m.bitOffset() / 8, alloc(8), 8);
            a.ldxDW(R0, R10, -stack);
        }
        a.rsh64(R0, m.bitOffset() % 8);
        if (m.bitWidth() < 64) a.and64(R0, (int) ((1L << m.bitWidth()) - 1));
    }

    private long constantIndex(Expr.Index i) {
        if (i.index() instanceof Expr.IntLiteral lit) return lit.value();
        if (i.index() instanceof Expr.Positional p) return parsePositional(analysis.positional(p.index()));
        throw new SourceException(i.index().position(), "an array held in a variable or a map is indexed by "
                + "constants only");
    }

    /**
     * The stack offset of a buffer holding the value of {@code e} (a struct, an array or a tuple): a variable's own
     * slot, else a new buffer the value is written to.
     */
    private int buffer(Expr e) {
        if (e instanceof Expr.Variable v) return variableSlots.get(v.name());
        Type t = analysis.type(e);
        int buf = alloc(t.size());
        evalStr(e, buf, t.size(), t);
        return buf;
    }

    /** Copies {@code n} bytes between stack buffers. */
    private void copyBytes(int from, int to, int n) {
        int i = 0;
        for (; i + 8 <= n && (from + i) % 8 == 0 && (to + i) % 8 == 0; i += 8) {
            a.ldxDW(R1, R10, from + i).stxDW(R10, to + i, R1);
        }
        for (; i < n; i++) a.ldxB(R1, R10, from + i).stxB(R10, to + i, R1);
    }

    /**
     * Writes a struct or array value (read from memory, or copied from where it is held) at {@code dst}: at most
     * {@code length} bytes, NUL-padded to {@code size}.
     */
    private void bytesValue(Expr e, int dst, int size, int length) {
        int n = Math.min(size, length);
        zero(dst, size);
        if (addressable(e)) {
            evalAddress(e);
            a.mov64(R3, R0);
            stackPointer(R1, dst);
            a.mov64(R2, n).call(Helper.PROBE_READ);
            return;
        }
        switch (e) {
            case Expr.Variable v -> copyBytes(variableSlots.get(v.name()), dst, n);
            case Expr.MapAccess m -> {
                MapInfo info = info(m.name());
                int mark = stack;
                int key = key(info, m.keys());
                String done = label("recread");
                lookup(m.name(), key);
                a.jeq(R0, 0, done);
                a.mov64(R3, R0);
                stackPointer(R1, dst);
                a.mov64(R2, n).call(Helper.PROBE_READ_KERNEL);
                a.label(done);
                stack = mark;
            }
            case Expr.Index i -> {
                int mark = stack;
                int base = buffer(i.target());
                copyBytes(base + (int) constantIndex(i) * analysis.type(i).cSize(), dst, n);
                stack = mark;
            }
            case Expr.Field f when !f.arrow() -> {
                int mark = stack;
                int base = buffer(f.target());
                int off = analysis.type(f.target()) instanceof Type.Tuple tu
                        ? tu.offsets().get(Integer.parseInt(f.field())) : memberOf(f).offset();
                copyBytes(base + off, dst, n);
                stack = mark;
            }
            default -> throw new SourceException(e.position(), "this value cannot be used here");
        }
    }

    /** A tuple, laid out as {@code layout} says (its elements may be wider than the expression's own). */
    private void tuple(Expr.Tuple t, int dst, int size, Type.Tuple layout) {
        zero(dst, size);
        List<Integer> offs = layout.offsets();
        for (int i = 0; i < t.elements().size(); i++) {
            Expr x = t.elements().get(i);
            Type et = layout.elements().get(i);
            int off = dst + offs.get(i);
            if (et.inBuffer()) {
                int mark = stack;
                int tmp = alloc(et.size());
                evalStr(x, tmp, et.size(), et);
                copyBytes(tmp, off, et.cSize());
                stack = mark;
            } else {
                evalInt(x);
                switch (et.cSize()) {
                    case 1 -> a.stxB(R10, off, R0);
                    case 2 -> a.stxH(R10, off, R0);
                    case 4 -> a.stxW(R10, off, R0);
                    default -> {
                        if (off % 8 == 0) {
                            a.stxDW(R10, off, R0);
                        } else {
                            for (int b = 0; b < 8; b++) a.stxB(R10, off + b, R0).rsh64(R0, 8);
                        }
                    }
                }
            }
        }
    }

    /** {@code x++}, {@code ++x}…: the new value is stored; r0 = the old value (postfix) or the new (prefix). */
    private void increment(Expr.Increment inc) {
        int mark = stack;
        int delta = inc.delta();
        if (analysis.type(inc.target()) instanceof Type.Ptr p) {
            delta *= Math.max(1, analysis.ctypes().resolve(p.target()).cSize());
        }
        switch (inc.target()) {
            case Expr.Variable v -> {
                int slot = variableSlots.get(v.name());
                a.ldxDW(R0, R10, slot).mov64(R1, R0).add64(R1, delta).stxDW(R10, slot, R1);
                if (inc.prefix()) a.mov64(R0, R1);
            }
            case Expr.MapAccess m -> {
                MapInfo info = info(m.name());
                int key = key(info, m.keys());
                int value = alloc(8);
                String missing = label("incmiss");
                a.stDW(R10, value, 0);
                lookup(m.name(), key);
                a.jeq(R0, 0, missing).ldxDW(R1, R0, 0).stxDW(R10, value, R1).label(missing);
                a.ldxDW(R1, R10, value).add64(R1, delta).stxDW(R10, value, R1);
                update(m.name(), key, value);
                a.ldxDW(R0, R10, value);
                if (!inc.prefix()) a.add64(R0, -delta);
            }
            default -> throw new IllegalStateException("unchecked increment target");
        }
        stack = mark;
    }

    // ---- string expressions: written at a stack buffer ----

    /**
     * Writes the value of {@code e} (a string, a struct, an array or a tuple), NUL-padded to {@code size} bytes, at
     * {@code dst}; {@code want} is the type the destination holds (a tuple is laid out as it says).
     */
    private void evalStr(Expr e, int dst, int size, Type want) {
        enter(e.position());
        try {
            evalStrCode(e, dst, size, want);
        } finally {
            leave();
        }
    }

    private void evalStrCode(Expr e, int dst, int size, Type want) {
        Type own = analysis.type(e);
        if ((own instanceof Type.Record || own instanceof Type.Array) && !(e instanceof Expr.Call)) {
            bytesValue(e, dst, size, own.cSize());
            return;
        }
        if (own instanceof Type.Str && e instanceof Expr.Field f && !isArgs(f)
                && !(analysis.type(f.target()) instanceof Type.Tuple)) {
            // a char array member: its bytes, at most its length (it may lack a NUL)
            bytesValue(e, dst, size, memberOf(f).type().cSize());
            return;
        }
        switch (e) {
            case Expr.Tuple t -> tuple(t, dst, size, want instanceof Type.Tuple w
                    && w.elements().size() == t.elements().size() ? w : (Type.Tuple) own);
            case Expr.Field f when !isArgs(f) -> {
                int base = buffer(f.target());
                Type.Tuple tu = (Type.Tuple) analysis.type(f.target());
                int i = Integer.parseInt(f.field());
                zero(dst, size);
                copyBytes(base + tu.offsets().get(i), dst, Math.min(size, tu.elements().get(i).cSize()));
            }
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
                    case "username" -> {
                        // the user id; user space prints its name
                        zero(dst, size);
                        a.call(Helper.GET_CURRENT_UID_GID).mov32(R0, R0).stxDW(R10, dst, R0);
                    }
                    case "func" -> literal(((ProbeTarget.Uprobe) target).symbol(), dst, size);
                    default -> throw new SourceException(b.position(), b.name() + " is not a string");
                }
            }
            case Expr.Ternary t -> {
                String otherwise = label("selse");
                String end = label("send");
                evalInt(t.condition());
                a.jeq(R0, 0, otherwise);
                evalStr(t.then(), dst, size, want);
                a.ja(end).label(otherwise);
                evalStr(t.otherwise(), dst, size, want);
                a.label(end);
            }
            case Expr.Call c when c.name().equals("pton") -> {
                byte[] b = java.net.InetAddress.ofLiteral(constantString(c.args().getFirst())).getAddress();
                zero(dst, size);
                for (int i = 0; i < b.length && i < size; i++) a.stB(R10, dst + i, b[i]);
            }
            case Expr.Call c when c.name().equals("ntop") -> {
                zero(dst, size);
                Expr addr = c.args().getLast();
                Type at = analysis.type(addr);
                if (c.args().size() == 2) {
                    evalInt(c.args().getFirst());
                    a.stxDW(R10, dst, R0);
                } else {
                    a.stDW(R10, dst, at.cSize() == 16 ? 10 : 2);
                }
                if (at.inBuffer()) {
                    int mark = stack;
                    int tmp = alloc(at.size());
                    evalStr(addr, tmp, at.size(), at);
                    copyBytes(tmp, dst + 8, Math.min(16, at.cSize()));
                    stack = mark;
                } else {
                    evalInt(addr);
                    a.stxW(R10, dst + 8, R0);
                }
            }
            case Expr.Call c when c.name().equals("usym") || c.name().equals("ksym") -> {
                zero(dst, size);
                evalInt(c.args().getFirst());
                a.stxDW(R10, dst + 8, R0);
                a.call(Helper.GET_CURRENT_PID_TGID).rsh64(R0, 32).stxDW(R10, dst, R0);
            }
            case Expr.Call c when c.name().equals("macaddr") -> {
                zero(dst, size);
                Expr addr = c.args().getFirst();
                Type at = analysis.type(addr);
                if (at.inBuffer()) {
                    int mark = stack;
                    int tmp = alloc(Math.max(8, at.size()));
                    evalStr(addr, tmp, at.size(), at);
                    copyBytes(tmp, dst, Math.min(6, at.size()));
                    stack = mark;
                } else {
                    evalInt(addr);
                    a.mov64(R3, R0);
                    stackPointer(R1, dst);
                    a.mov64(R2, 6).call(Helper.PROBE_READ);
                }
            }
            case Expr.Call c when c.name().equals("buf") -> {
                Expr arg = c.args().getFirst();
                Type at = analysis.type(arg);
                int n = Math.min(size, ((Type.Buf) analysis.type(c)).length());
                zero(dst, size);
                if (at.inBuffer()) {
                    int mark = stack;
                    int tmp = alloc(Math.max(at.size(), (n + 7) & ~7));
                    evalStr(arg, tmp, at.size(), at);
                    copyBytes(tmp, dst, Math.min(n, at.size()));
                    stack = mark;
                } else {
                    evalInt(arg);
                    a.mov64(R3, R0);
                    stackPointer(R1, dst);
                    a.mov64(R2, n).call(Helper.PROBE_READ);
                }
            }
            case Expr.Call c when c.name().equals("str") && (c.args().getFirst() instanceof Expr.Positional
                    || c.args().getFirst() instanceof Expr.Binary b && !(analysis.type(b) instanceof Type.Int)) ->
                    literal(constantString(c.args().getFirst()), dst, size);
            case Expr.Call c when c.name().equals("str") -> {
                Expr arg = c.args().getFirst();
                int limit = Math.min(size, analysis.type(c).size());
                if (c.args().size() == 2) {
                    limit = Math.min(limit, (int) ((Expr.IntLiteral) c.args().get(1)).value());
                }
                if (analysis.type(arg) instanceof Type.Str) {
                    evalStr(arg, dst, size, analysis.type(arg));
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
