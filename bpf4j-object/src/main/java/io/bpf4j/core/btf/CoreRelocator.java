package io.bpf4j.core.btf;

import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.btf.BtfExt.CoreReloKind;
import io.bpf4j.core.btf.BtfExt.CoreRelocation;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Applies CO-RE ("compile once, run everywhere") relocations to a program's instructions: each relocation record of
 * {@code .BTF.ext} names an instruction, a type of the program's own BTF and an access path ("0:1:2"); the relocator
 * finds the same field, type or enumerator in the kernel's BTF by name and patches the instruction with what the
 * running kernel needs — a field's offset, size, existence, signedness or bitfield shifts, a type's id, existence,
 * size or match, an enumerator's existence or value.
 *
 * <p>The algorithm is the one the kernel's {@code Documentation/bpf/llvm_reloc.rst} and libbpf document, so that a
 * program relocated here is the program libbpf would load: candidates are the kernel types of the same kind whose
 * name equals the local name without its {@code ___flavor} suffix (vmlinux first, kernel modules only when vmlinux
 * has none); a field is matched member by member by name (through anonymous structs and unions) with compatible
 * kinds; all matching candidates must agree. A relocation nothing matches is <em>poisoned</em>: existence checks
 * become 0, type queries 0, and any other instruction is replaced by a call of the invalid helper
 * {@value #POISON_HELPER_ID} ({@code 0xbad2310}), which the verifier rejects only if it is reachable — code guarded
 * by {@code bpf_core_field_exists()} still loads. {@link Result#poisoned()} says which C access failed and why, so
 * a rejection can name it.
 *
 * <pre>{@code
 * CoreRelocator core = CoreRelocator.forKernel(objectBtf);
 * CoreRelocator.Result r = core.relocate("my_prog", instructions, sites);
 * Instructions patched = r.instructions();
 * }</pre>
 *
 * <p>Candidate lists are cached per local type and narrowed as relocations of that type rule candidates out (as
 * libbpf does), so use one relocator per object. Not thread-safe.
 */
public final class CoreRelocator {
    /** The helper id a poisoned instruction calls: the verifier says {@code invalid func unknown#195896080}. */
    public static final int POISON_HELPER_ID = 0xbad2310;

    private static final int MAX_DEPTH = 32;

    /**
     * A relocation to apply at a slot of a linked program.
     *
     * @param slot       the instruction's slot in the program given to {@link #relocate}
     * @param section    the ELF section the record is listed under (for messages)
     * @param index      the record's index in that section's list (libbpf's "relo #index")
     * @param relocation the record
     */
    public record Site(int slot, String section, int index, CoreRelocation relocation) {
        public Site {
            Objects.requireNonNull(section, "section");
            Objects.requireNonNull(relocation, "relocation");
        }
    }

    /**
     * What one relocation resolved to.
     *
     * @param site        the relocation
     * @param access      the C spelling of what it is about: {@code task_struct.pid}, {@code enum E::V},
     *                    {@code struct foo}
     * @param localValue  the value computed from the program's own BTF (what the compiler put in)
     * @param targetValue the value for the kernel (what the instruction now holds), 0 when poisoned
     * @param target      where the matching type was found ({@code vmlinux} or a module name), "" when nowhere
     * @param poisonReason why the instruction was poisoned (replaced by a call of {@link #POISON_HELPER_ID}), or
     *                     null when it was patched normally
     */
    public record Outcome(Site site, String access, long localValue, long targetValue, String target,
                          String poisonReason) {
        /** True when the instruction was replaced by an invalid helper call. */
        public boolean poisoned() {
            return poisonReason != null;
        }
    }

    /**
     * The relocated program.
     *
     * @param instructions the patched instructions
     * @param outcomes     one per site, in the order given
     */
    public record Result(Instructions instructions, List<Outcome> outcomes) {
        public Result {
            outcomes = List.copyOf(outcomes);
        }

        /** The reasons of the poisoned relocations, e.g. "CO-RE relocation #3 …: field … not found …". */
        public List<String> poisoned() {
            return outcomes.stream().filter(Outcome::poisoned).map(Outcome::poisonReason).toList();
        }
    }

    /** A kernel BTF to search for candidates, named for messages. */
    private record Target(String name, Btf btf) {
    }

    private record Candidate(Target target, int id) {
    }

    private final Btf local;
    private final Supplier<List<Target>> primary;
    private final Supplier<List<Target>> secondary;
    private final Map<Integer, List<Candidate>> candidates = new HashMap<>();
    private List<Target> primaryTargets;
    private List<Target> secondaryTargets;

    private CoreRelocator(Btf local, Supplier<List<Target>> primary, Supplier<List<Target>> secondary) {
        this.local = Objects.requireNonNull(local, "local");
        this.primary = primary;
        this.secondary = secondary;
    }

    /**
     * A relocator for programs whose BTF is {@code local}, against the running kernel: vmlinux's BTF, then, for
     * types vmlinux does not have, the BTF of the loaded modules.
     */
    public static CoreRelocator forKernel(Btf local) {
        return new CoreRelocator(local, () -> List.of(new Target("vmlinux", KernelBtf.vmlinux())), () -> {
            List<Target> out = new ArrayList<>();
            for (String m : KernelBtf.modules()) {
                try {
                    out.add(new Target(m, KernelBtf.module(m)));
                } catch (BtfException e) {
                    // a module without readable BTF offers no candidates
                }
            }
            return out;
        });
    }

    /** A relocator against one given target BTF (e.g. a saved vmlinux BTF, or test data). */
    public static CoreRelocator forTarget(Btf local, Btf target) {
        Objects.requireNonNull(target, "target");
        return new CoreRelocator(local, () -> List.of(new Target("target", target)), List::of);
    }

    /**
     * Applies {@code sites} to {@code instructions} of program {@code programName} (for messages).
     *
     * @throws BtfException when a relocation cannot be applied at all — a malformed record, an instruction that
     *                      does not hold what the compiler should have put there, candidates that disagree — with
     *                      the relocation, the instruction and the reason (libbpf refuses such objects too)
     */
    public Result relocate(String programName, Instructions instructions, List<Site> sites) {
        byte[] code = instructions.toBytes();
        ByteBuffer buf = ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN);
        int slots = code.length / 8;
        List<Outcome> outcomes = new ArrayList<>(sites.size());
        for (Site s : sites) {
            String where = "program '" + programName + "': CO-RE relocation #" + s.index() + " ("
                    + s.relocation().kind().name().toLowerCase() + " at instruction " + s.slot() + ", section '"
                    + s.section() + "')";
            if (s.slot() < 0 || s.slot() >= slots) {
                throw new BtfException(where + " is outside the program's " + slots + " instructions");
            }
            try {
                Resolution r = resolve(s.relocation());
                outcomes.add(patch(buf, s, r, where));
            } catch (BtfException e) {
                throw e.getMessage().startsWith(where) ? e : new BtfException(where + ": " + e.getMessage(), e);
            }
        }
        return new Result(Instructions.decode(code), outcomes);
    }

    // ---- resolution ----

    /** The values of one relocation (libbpf's {@code bpf_core_relo_res}) and what it is about. */
    private record Resolution(CoreAccessSpec localSpec, CoreAccessSpec targetSpec, Values values, String target) {
    }

    private record Values(long orig, long value, boolean poison, boolean validate, int origSize, int newSize,
                          int origTypeId, int newTypeId, boolean failMemSizeAdjust) {
    }

    /** A field's computed value, with the load size and field type when the value is a plain field's offset. */
    private record FieldValue(long value, int size, int typeId, boolean validate) {
    }

    private Resolution resolve(CoreRelocation relo) {
        CoreReloKind kind = relo.kind();
        BtfType localType = local.type(relo.typeId());
        CoreAccessSpec localSpec = CoreAccessSpec.parse(local, relo.typeId(), relo.accessString(), kind);
        if (kind == CoreReloKind.TYPE_ID_LOCAL) {
            // needs no kernel type: the id is the program's own; not validated (linking may renumber types)
            Values v = new Values(relo.typeId(), relo.typeId(), false, false, 0, 0, 0, 0, false);
            return new Resolution(localSpec, null, v, "");
        }
        if (localType.name().isEmpty()) {
            throw new BtfException(kind.name().toLowerCase() + " relocation of anonymous [" + relo.typeId() + "] "
                    + localType.kind() + ": CO-RE relocations of anonymous types are not supported (as in libbpf)");
        }
        List<Candidate> cands = candidates(relo.typeId(), localType);
        List<Candidate> kept = new ArrayList<>();
        Values result = null;
        CoreAccessSpec resultSpec = null;
        String target = "";
        for (Candidate c : cands) {
            CoreAccessSpec candSpec = new CoreAccessSpec(c.target().btf(), c.id(), kind);
            if (!match(localSpec, candSpec)) continue;
            Values v = calc(localSpec, candSpec);
            if (result == null) {
                result = v;
                resultSpec = candSpec;
                target = c.target().name();
            } else if (candSpec.bitOffset != resultSpec.bitOffset) {
                throw new BtfException("field offset ambiguity: candidates [" + resultSpec.rootTypeId + "] and ["
                        + c.id() + "] place " + localSpec.describe() + " at bit " + resultSpec.bitOffset + " and "
                        + candSpec.bitOffset);
            } else if (v.poison() != result.poison() || v.value() != result.value()) {
                throw new BtfException("relocation decision ambiguity: candidates [" + resultSpec.rootTypeId
                        + "] and [" + c.id() + "] give " + describeValue(result) + " and " + describeValue(v));
            }
            kept.add(c);
        }
        if (!kept.isEmpty()) {
            candidates.put(relo.typeId(), kept);
        } else {
            result = calc(localSpec, null);
            resultSpec = null;
        }
        return new Resolution(localSpec, resultSpec, result, target);
    }

    private static String describeValue(Values v) {
        return v.poison() ? "failure" : "success " + v.value();
    }

    /** The kernel types of the local type's kind with its essential name; cached and narrowed per local type. */
    private List<Candidate> candidates(int localId, BtfType localType) {
        List<Candidate> cached = candidates.get(localId);
        if (cached != null) return cached;
        String essential = essentialName(localType.name());
        List<Candidate> out = new ArrayList<>();
        if (primaryTargets == null) primaryTargets = primary.get();
        for (Target t : primaryTargets) addCandidates(t, essential, localType, out);
        if (out.isEmpty()) {
            if (secondaryTargets == null) secondaryTargets = secondary.get();
            for (Target t : secondaryTargets) addCandidates(t, essential, localType, out);
        }
        candidates.put(localId, out);
        return out;
    }

    private static void addCandidates(Target target, String essential, BtfType localType, List<Candidate> out) {
        Btf btf = target.btf();
        TreeSet<Integer> ids = new TreeSet<>();
        for (int id : btf.typeIds(essential)) if (id >= btf.firstTypeId()) ids.add(id);
        ids.addAll(flavored(btf).getOrDefault(essential, List.of()));
        for (int id : ids) {
            BtfType t = btf.type(id);
            if (kindCompatible(t, localType) && essentialName(t.name()).equals(essential)) {
                out.add(new Candidate(target, id));
            }
        }
    }

    /** Per BTF: the ids of its own types whose names carry a {@code ___flavor}, by essential name. */
    private static final Map<Btf, Map<String, List<Integer>>> FLAVORED = Collections.synchronizedMap(
            new WeakHashMap<>());

    private static Map<String, List<Integer>> flavored(Btf btf) {
        Map<String, List<Integer>> m = FLAVORED.get(btf);
        if (m != null) return m;
        Map<String, List<Integer>> built = new HashMap<>();
        for (int id : btf.flavoredIds()) {
            String name = btf.type(id).name();
            String e = essentialName(name);
            if (e.length() != name.length()) built.computeIfAbsent(e, k -> new ArrayList<>()).add(id);
        }
        FLAVORED.put(btf, built);
        return built;
    }

    /**
     * {@code name} without its flavor: everything from the last {@code ___} that has a non-underscore on both
     * sides ({@code task_struct___mine} → {@code task_struct}; {@code __u32} stays).
     */
    public static String essentialName(String name) {
        int n = name.length();
        for (int i = n - 5; i >= 0; i--) {
            if (name.charAt(i) != '_' && name.charAt(i + 1) == '_' && name.charAt(i + 2) == '_'
                    && name.charAt(i + 3) == '_' && name.charAt(i + 4) != '_') {
                return name.substring(0, i + 1);
            }
        }
        return name;
    }

    private static boolean kindCompatible(BtfType a, BtfType b) {
        return a.kind() == b.kind() || (isEnum(a) && isEnum(b));
    }

    private static boolean isEnum(BtfType t) {
        return t instanceof BtfType.Enum || t instanceof BtfType.Enum64;
    }

    // ---- matching ----

    /** Fills {@code targ} (a spec holding only its root) when the candidate matches the local spec. */
    private boolean match(CoreAccessSpec loc, CoreAccessSpec targ) {
        Btf tb = targ.btf;
        CoreReloKind kind = loc.kind;
        if (kind.isType()) {
            return kind == CoreReloKind.TYPE_MATCHES
                    ? typesMatch(local, loc.rootTypeId, tb, targ.rootTypeId, false, MAX_DEPTH)
                    : typesCompatible(local, loc.rootTypeId, tb, targ.rootTypeId, MAX_DEPTH);
        }
        if (kind.isEnumValue()) {
            int id = tb.resolve(targ.rootTypeId);
            List<String> names = CoreAccessSpec.enumNames(tb.type(id));
            if (names == null) return false;
            String want = essentialName(loc.steps.getFirst().name());
            for (int i = 0; i < names.size(); i++) {
                if (essentialName(names.get(i)).equals(want)) {
                    targ.steps.add(new CoreAccessSpec.Step(id, i, names.get(i)));
                    targ.raw.add(i);
                    return true;
                }
            }
            return false;
        }
        int targId = targ.rootTypeId;
        for (int i = 0; i < loc.steps.size(); i++) {
            CoreAccessSpec.Step ls = loc.steps.get(i);
            targId = tb.resolve(targId);
            if (ls.name() != null) {
                int[] next = new int[1];
                if (!matchMember(ls, targId, targ, next)) return false;
                targId = next[0];
            } else {
                if (i > 0) {
                    if (!(tb.type(targId) instanceof BtfType.Array a)) return false;
                    boolean flex = CoreAccessSpec.isFlexibleArray(tb, targ.steps.getLast(), a);
                    if (!flex && Integer.toUnsignedLong(ls.index()) >= Integer.toUnsignedLong(a.count())) return false;
                    targId = tb.resolve(a.type());
                }
                if (targ.raw.size() >= CoreAccessSpec.MAX_LEN) throw new BtfException("access path too deep");
                targ.steps.add(new CoreAccessSpec.Step(targId, ls.index(), null));
                targ.raw.add(ls.index());
                targ.bitOffset += ls.index() * tb.sizeOf(targId) * 8;
            }
        }
        return true;
    }

    /**
     * Finds the local member of {@code ls} by name in composite {@code targId}, looking into anonymous members;
     * on success the target spec has the member's step and bit offset and {@code next[0]} its type.
     */
    private boolean matchMember(CoreAccessSpec.Step ls, int targId, CoreAccessSpec targ, int[] next) {
        Btf tb = targ.btf;
        targId = tb.resolve(targId);
        if (!(tb.type(targId) instanceof BtfType.Composite tc)) return false;
        BtfType.Member localMember = ((BtfType.Composite) local.type(ls.typeId())).members().get(ls.index());
        List<BtfType.Member> members = tc.members();
        for (int i = 0; i < members.size(); i++) {
            BtfType.Member m = members.get(i);
            if (targ.raw.size() >= CoreAccessSpec.MAX_LEN) throw new BtfException("access path too deep");
            long bits = Integer.toUnsignedLong(m.bitOffset());
            targ.bitOffset += bits;
            targ.raw.add(i);
            if (m.name().isEmpty()) {
                if (matchMember(ls, m.type(), targ, next)) return true;
            } else if (m.name().equals(localMember.name())) {
                next[0] = m.type();
                if (fieldsCompatible(localMember.type(), tb, m.type())) {
                    targ.steps.add(new CoreAccessSpec.Step(targId, i, m.name()));
                    return true;
                }
                // libbpf stops at the first member with the name, compatible or not
                targ.bitOffset -= bits;
                targ.raw.removeLast();
                return false;
            }
            targ.bitOffset -= bits;
            targ.raw.removeLast();
        }
        return false;
    }

    /** Whether a local field's type and the kernel field's type are close enough to relocate the access. */
    private boolean fieldsCompatible(int localId, Btf tb, int targId) {
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            localId = local.resolve(localId);
            targId = tb.resolve(targId);
            BtfType l = local.type(localId);
            BtfType t = tb.type(targId);
            if (l instanceof BtfType.Composite && t instanceof BtfType.Composite) return true;
            if (!kindCompatible(l, t)) return false;
            switch (l) {
                case BtfType.Ptr p -> {
                    return true;
                }
                case BtfType.Float f -> {
                    return true;
                }
                case BtfType.Fwd f -> {
                    return namesCompatible(l.name(), t.name());
                }
                case BtfType.Enum e -> {
                    return namesCompatible(l.name(), t.name());
                }
                case BtfType.Enum64 e -> {
                    return namesCompatible(l.name(), t.name());
                }
                case BtfType.Int i -> {
                    return i.offset() == 0 && ((BtfType.Int) t).offset() == 0;
                }
                case BtfType.Array a -> {
                    localId = a.type();
                    targId = ((BtfType.Array) t).type();
                }
                default -> {
                    return false;
                }
            }
        }
        throw new BtfException("types nest deeper than " + MAX_DEPTH + " levels");
    }

    /** One of the names is anonymous, or both are the same without flavor. */
    private static boolean namesCompatible(String a, String b) {
        String ea = essentialName(a);
        String eb = essentialName(b);
        return ea.isEmpty() || eb.isEmpty() || ea.equals(eb);
    }

    /** libbpf's {@code bpf_core_types_are_compat}: the looser check of type existence, size and id. */
    private static boolean typesCompatible(Btf lb, int localId, Btf tb, int targId, int level) {
        if (!kindCompatible(lb.type(localId), tb.type(targId))) return false;
        for (int depth = MAX_DEPTH; depth > 0; depth--) {
            localId = lb.resolve(localId);
            targId = tb.resolve(targId);
            BtfType l = lb.type(localId);
            BtfType t = tb.type(targId);
            if (!kindCompatible(l, t)) return false;
            switch (l) {
                case BtfType.Void v -> {
                    return true;
                }
                case BtfType.Composite c -> {
                    return true;
                }
                case BtfType.Enum e -> {
                    return true;
                }
                case BtfType.Enum64 e -> {
                    return true;
                }
                case BtfType.Fwd f -> {
                    return true;
                }
                case BtfType.Int i -> {
                    return i.offset() == 0 && ((BtfType.Int) t).offset() == 0;
                }
                case BtfType.Ptr p -> {
                    localId = p.type();
                    targId = ((BtfType.Ptr) t).type();
                }
                case BtfType.Array a -> {
                    localId = a.type();
                    targId = ((BtfType.Array) t).type();
                }
                case BtfType.FuncProto lp -> {
                    BtfType.FuncProto tp = (BtfType.FuncProto) t;
                    if (paramCount(lp) != paramCount(tp)) return false;
                    for (int i = 0; i < lp.params().size(); i++) {
                        if (level <= 0) throw new BtfException("function prototypes nest too deep");
                        if (!typesCompatible(lb, lb.resolve(lp.params().get(i).type()), tb,
                                tb.resolve(tp.params().get(i).type()), level - 1)) return false;
                    }
                    localId = lp.returnType();
                    targId = tp.returnType();
                }
                default -> {
                    return false;
                }
            }
        }
        throw new BtfException("types nest deeper than " + MAX_DEPTH + " levels");
    }

    private static int paramCount(BtfType.FuncProto p) {
        return p.params().size() + (p.variadic() ? 1 : 0);
    }

    /** Same name without flavor; an anonymous target matches only an anonymous local type. */
    private static boolean namesMatch(String localName, String targetName) {
        if (targetName.isEmpty()) return localName.isEmpty();
        return essentialName(localName).equals(essentialName(targetName));
    }

    /** libbpf's {@code bpf_core_types_match}: the stricter structural match of {@code bpf_core_type_matches}. */
    private static boolean typesMatch(Btf lb, int localId, Btf tb, int targId, boolean behindPtr, int level) {
        if (level <= 0) throw new BtfException("types nest too deep to match");
        for (int depth = MAX_DEPTH; depth > 0; depth--) {
            localId = lb.resolve(localId);
            targId = tb.resolve(targId);
            BtfType l = lb.type(localId);
            BtfType t = tb.type(targId);
            if (!namesMatch(l.name(), t.name())) return false;
            switch (l) {
                case BtfType.Void v -> {
                    return t instanceof BtfType.Void;
                }
                case BtfType.Fwd lf -> {
                    if (behindPtr) {
                        if (t instanceof BtfType.Fwd tf) return lf.union() == tf.union();
                        return (t instanceof BtfType.Struct && !lf.union()) || (t instanceof BtfType.Union && lf.union());
                    }
                    return t instanceof BtfType.Fwd tf && lf.union() == tf.union();
                }
                case BtfType.Enum e -> {
                    return isEnum(t) && enumsMatch(l, t);
                }
                case BtfType.Enum64 e -> {
                    return isEnum(t) && enumsMatch(l, t);
                }
                case BtfType.Composite lc -> {
                    if (behindPtr) {
                        if (l.kind() == t.kind()) return true;
                        if (!(t instanceof BtfType.Fwd tf)) return false;
                        return (l instanceof BtfType.Union) == tf.union();
                    }
                    if (l.kind() != t.kind()) return false;
                    return compositesMatch(lb, lc, tb, (BtfType.Composite) t, behindPtr, level);
                }
                case BtfType.Int li -> {
                    if (!(t instanceof BtfType.Int ti)) return false;
                    return li.size() == ti.size() && li.signed() == ti.signed();
                }
                case BtfType.Ptr lp -> {
                    if (!(t instanceof BtfType.Ptr tp)) return false;
                    behindPtr = true;
                    localId = lp.type();
                    targId = tp.type();
                }
                case BtfType.Array la -> {
                    if (!(t instanceof BtfType.Array ta) || la.count() != ta.count()) return false;
                    localId = la.type();
                    targId = ta.type();
                }
                case BtfType.FuncProto lp -> {
                    if (!(t instanceof BtfType.FuncProto tp) || paramCount(lp) != paramCount(tp)) return false;
                    for (int i = 0; i < lp.params().size(); i++) {
                        if (!typesMatch(lb, lp.params().get(i).type(), tb, tp.params().get(i).type(), behindPtr,
                                level - 1)) return false;
                    }
                    localId = lp.returnType();
                    targId = tp.returnType();
                }
                default -> {
                    return false;
                }
            }
        }
        throw new BtfException("types nest deeper than " + MAX_DEPTH + " levels");
    }

    private static int size(BtfType t) {
        return switch (t) {
            case BtfType.Enum e -> e.size();
            case BtfType.Enum64 e -> e.size();
            default -> -1;
        };
    }

    private static boolean enumsMatch(BtfType l, BtfType t) {
        if (size(l) != size(t)) return false;
        List<String> ln = CoreAccessSpec.enumNames(l);
        List<String> tn = CoreAccessSpec.enumNames(t);
        if (ln.size() > tn.size()) return false;
        for (String n : ln) {
            boolean found = false;
            for (String m : tn) {
                if (namesMatch(n, m)) {
                    found = true;
                    break;
                }
            }
            if (!found) return false;
        }
        return true;
    }

    private static boolean compositesMatch(Btf lb, BtfType.Composite l, Btf tb, BtfType.Composite t,
                                           boolean behindPtr, int level) {
        if (l.members().size() > t.members().size()) return false;
        for (BtfType.Member lm : l.members()) {
            boolean matched = false;
            for (BtfType.Member tm : t.members()) {
                if (!namesMatch(lm.name(), tm.name())) continue;
                if (typesMatch(lb, lm.type(), tb, tm.type(), behindPtr, level - 1)) {
                    matched = true;
                    break;
                }
            }
            if (!matched) return false;
        }
        return true;
    }

    // ---- values ----

    /** libbpf's {@code bpf_core_calc_relo}: the local and target values; {@code targ} null when nothing matched. */
    private Values calc(CoreAccessSpec loc, CoreAccessSpec targ) {
        CoreReloKind kind = loc.kind;
        if (kind.isField()) {
            FieldValue o = fieldValue(loc);
            if (targ == null) {
                if (kind == CoreReloKind.FIELD_EXISTS) return new Values(o.value(), 0, false, o.validate(), 0, 0, 0, 0, false);
                return new Values(o.value(), 0, true, o.validate(), 0, 0, 0, 0, false);
            }
            FieldValue n = fieldValue(targ);
            boolean failAdjust = false;
            if (o.size() != n.size()) {
                BtfType ot = loc.btf.type(o.typeId());
                BtfType nt = targ.btf.type(n.typeId());
                boolean pointers = ot instanceof BtfType.Ptr && nt instanceof BtfType.Ptr;
                boolean unsigned = ot instanceof BtfType.Int oi && nt instanceof BtfType.Int ni
                        && oi.encoding() != BtfType.Int.SIGNED && ni.encoding() != BtfType.Int.SIGNED;
                failAdjust = !pointers && !unsigned;
            }
            return new Values(o.value(), n.value(), false, o.validate(), o.size(), n.size(), o.typeId(),
                    n.typeId(), failAdjust);
        }
        if (kind.isType()) {
            long o = typeValue(loc);
            long n = targ == null ? 0 : typeValue(targ);
            boolean validate = targ == null || kind != CoreReloKind.TYPE_ID_TARGET;
            return new Values(o, n, false, validate, 0, 0, 0, 0, false);
        }
        long o = enumValue(loc);
        if (targ == null) {
            return kind == CoreReloKind.ENUMVAL_EXISTS
                    ? new Values(o, 0, false, true, 0, 0, 0, 0, false)
                    : new Values(o, 0, true, true, 0, 0, 0, 0, false);
        }
        return new Values(o, enumValue(targ), false, true, 0, 0, 0, 0, false);
    }

    private static long typeValue(CoreAccessSpec spec) {
        return switch (spec.kind) {
            case TYPE_ID_TARGET, TYPE_ID_LOCAL -> spec.rootTypeId;
            case TYPE_EXISTS, TYPE_MATCHES -> 1;
            case TYPE_SIZE -> spec.btf.sizeOf(spec.rootTypeId);
            default -> throw new IllegalStateException(spec.kind.name());
        };
    }

    private static long enumValue(CoreAccessSpec spec) {
        if (spec.kind == CoreReloKind.ENUMVAL_EXISTS) return 1;
        CoreAccessSpec.Step s = spec.steps.getFirst();
        return switch (spec.btf.type(s.typeId())) {
            case BtfType.Enum e -> e.values().get(s.index()).value(); // s32, sign-extended as libbpf does
            case BtfType.Enum64 e -> e.values().get(s.index()).value();
            default -> throw new IllegalStateException("not an enum");
        };
    }

    /** libbpf's {@code bpf_core_calc_field_relo} for one spec. */
    private static FieldValue fieldValue(CoreAccessSpec spec) {
        CoreReloKind kind = spec.kind;
        if (kind == CoreReloKind.FIELD_EXISTS) return new FieldValue(1, 0, 0, true);
        Btf btf = spec.btf;
        CoreAccessSpec.Step last = spec.last();
        if (last.name() == null) { // an array element (or the root itself)
            long sz = btf.sizeOf(last.typeId());
            return switch (kind) {
                case FIELD_BYTE_OFFSET -> new FieldValue(spec.bitOffset / 8, (int) sz, last.typeId(), true);
                case FIELD_BYTE_SIZE -> new FieldValue(sz, 0, 0, true);
                default -> throw new BtfException(kind.name().toLowerCase() + " cannot be applied to the array "
                        + "element " + spec.describe());
            };
        }
        BtfType.Composite holder = (BtfType.Composite) btf.type(last.typeId());
        BtfType.Member m = holder.members().get(last.index());
        int fieldTypeId = btf.resolve(m.type());
        BtfType mt = btf.type(fieldTypeId);
        long bitOff = spec.bitOffset;
        long bitSize = m.bitfieldSize();
        boolean bitfield = bitSize > 0;
        long byteSize;
        long byteOff;
        if (bitfield) {
            byteSize = switch (mt) {
                case BtfType.Int i -> i.size();
                case BtfType.Enum e -> e.size();
                case BtfType.Enum64 e -> e.size();
                default -> btf.sizeOf(fieldTypeId);
            };
            byteOff = bitOff / 8 / byteSize * byteSize;
            while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
                if (byteSize >= 8) {
                    throw new BtfException("bitfield " + spec.describe() + " cannot be read with one 64-bit load");
                }
                byteSize *= 2;
                byteOff = bitOff / 8 / byteSize * byteSize;
            }
        } else {
            byteSize = btf.sizeOf(fieldTypeId);
            byteOff = bitOff / 8;
            bitSize = byteSize * 8;
        }
        boolean validate = !bitfield;
        return switch (kind) {
            case FIELD_BYTE_OFFSET -> bitfield ? new FieldValue(byteOff, 0, 0, false)
                    : new FieldValue(byteOff, (int) byteSize, fieldTypeId, true);
            case FIELD_BYTE_SIZE -> new FieldValue(byteSize, 0, 0, validate);
            case FIELD_SIGNED -> {
                boolean signed = (isEnum(mt) && ((mt instanceof BtfType.Enum e && e.signed())
                        || (mt instanceof BtfType.Enum64 e64 && e64.signed())))
                        || (mt instanceof BtfType.Int i && i.signed());
                yield new FieldValue(signed ? 1 : 0, 0, 0, true);
            }
            case FIELD_LSHIFT_U64 -> new FieldValue(64 - (bitOff + bitSize - byteOff * 8), 0, 0, validate);
            case FIELD_RSHIFT_U64 -> new FieldValue(64 - bitSize, 0, 0, true);
            default -> throw new IllegalStateException(kind.name());
        };
    }

    // ---- patching ----

    private static final int CLASS_LD = 0x00, CLASS_LDX = 0x01, CLASS_ST = 0x02, CLASS_STX = 0x03,
            CLASS_ALU = 0x04, CLASS_ALU64 = 0x07;
    private static final int LD_IMM64 = 0x18;
    private static final int CALL = 0x85;

    private Outcome patch(ByteBuffer code, Site s, Resolution r, String where) {
        Values v = r.values();
        int at = s.slot() * 8;
        int opcode = Byte.toUnsignedInt(code.get(at));
        int cls = opcode & 0x07;
        String access = describe(r.localSpec());
        if (v.poison()) {
            poison(code, at, opcode);
            return new Outcome(s, access, v.orig(), 0, "", poisonReason(s, r, access));
        }
        switch (cls) {
            case CLASS_ALU, CLASS_ALU64 -> {
                if ((opcode & 0x08) != 0) {
                    throw new BtfException(where + ": instruction " + s.slot() + " (opcode 0x"
                            + Integer.toHexString(opcode) + ") takes a register operand, not an immediate to patch");
                }
                int imm = code.getInt(at + 4);
                if (v.validate() && (long) imm != v.orig()) throw unexpected(where, s, "ALU immediate", imm, v);
                code.putInt(at + 4, (int) v.value());
            }
            case CLASS_LDX, CLASS_ST, CLASS_STX -> {
                short off = code.getShort(at + 2);
                if (v.validate() && (long) off != v.orig()) throw unexpected(where, s, "memory offset", off, v);
                if (v.value() > Short.MAX_VALUE) {
                    throw new BtfException(where + ": the kernel's offset " + v.value() + " of " + access
                            + " does not fit the instruction's 16-bit offset");
                }
                if (v.failMemSizeAdjust()) {
                    poison(code, at, opcode);
                    String reason = "CO-RE relocation #" + s.index() + " (instruction " + s.slot() + ", section '"
                            + s.section() + "'): field '" + access + "' is " + v.origSize() + " bytes in the program "
                            + "but " + v.newSize() + " in the kernel (" + r.target() + "), and only pointers and "
                            + "unsigned integers can be loaded with another size";
                    return new Outcome(s, access, v.orig(), 0, r.target(), reason);
                }
                code.putShort(at + 2, (short) v.value());
                if (v.origSize() != v.newSize()) {
                    int bytes = switch (opcode & 0x18) {
                        case 0x18 -> 8;
                        case 0x00 -> 4;
                        case 0x08 -> 2;
                        default -> 1;
                    };
                    if (bytes != v.origSize()) {
                        throw new BtfException(where + ": instruction " + s.slot() + " accesses " + bytes
                                + " bytes, but the field " + access + " is " + v.origSize());
                    }
                    int size = switch (v.newSize()) {
                        case 8 -> 0x18;
                        case 4 -> 0x00;
                        case 2 -> 0x08;
                        case 1 -> 0x10;
                        default -> throw new BtfException(where + ": the kernel's field " + access + " is "
                                + v.newSize() + " bytes, which no single load can read");
                    };
                    code.put(at, (byte) ((opcode & ~0x18) | size));
                }
            }
            case CLASS_LD -> {
                if (opcode != LD_IMM64 || at + 16 > code.limit() || (code.get(at + 1) & 0xf0) != 0
                        || code.getShort(at + 2) != 0 || code.get(at + 8) != 0 || code.get(at + 9) != 0
                        || code.getShort(at + 10) != 0) {
                    throw new BtfException(where + ": instruction " + s.slot() + " is not a plain 64-bit immediate "
                            + "load (ld_imm64 with src_reg 0)");
                }
                long imm = Integer.toUnsignedLong(code.getInt(at + 4)) | ((long) code.getInt(at + 12) << 32);
                if (v.validate() && imm != v.orig()) throw unexpected(where, s, "64-bit immediate", imm, v);
                code.putInt(at + 4, (int) v.value());
                code.putInt(at + 12, (int) (v.value() >>> 32));
            }
            default -> throw new BtfException(where + ": instruction " + s.slot() + " (opcode 0x"
                    + Integer.toHexString(opcode) + ") is not an ALU, load, store or ld_imm64 instruction that a "
                    + "CO-RE relocation can patch");
        }
        return new Outcome(s, access, v.orig(), v.value(), r.target(), null);
    }

    private static BtfException unexpected(String where, Site s, String what, long got, Values v) {
        return new BtfException(where + ": instruction " + s.slot() + " holds " + what + " " + got + " but the "
                + "program's BTF says it should be " + v.orig() + " (to become " + v.value() + "): the object's "
                + "BTF and code disagree");
    }

    /** Replaces the instruction (both slots of an ld_imm64) with {@code call 0xbad2310}. */
    private static void poison(ByteBuffer code, int at, int opcode) {
        if (opcode == LD_IMM64 && at + 16 <= code.limit()) poisonSlot(code, at + 8);
        poisonSlot(code, at);
    }

    private static void poisonSlot(ByteBuffer code, int at) {
        code.put(at, (byte) CALL);
        code.put(at + 1, (byte) 0);
        code.putShort(at + 2, (short) 0);
        code.putInt(at + 4, POISON_HELPER_ID);
    }

    private static String describe(CoreAccessSpec spec) {
        if (spec.kind.isType()) {
            BtfType t = spec.btf.type(spec.rootTypeId);
            return kindWord(t) + t.name();
        }
        if (spec.kind.isEnumValue()) return "enum " + spec.describe();
        return spec.describe();
    }

    private static String kindWord(BtfType t) {
        return switch (t) {
            case BtfType.Struct s -> "struct ";
            case BtfType.Union u -> "union ";
            case BtfType.Enum e -> "enum ";
            case BtfType.Enum64 e -> "enum ";
            case BtfType.Fwd f -> f.union() ? "union " : "struct ";
            case BtfType.Typedef td -> "typedef ";
            default -> "";
        };
    }

    private String poisonReason(Site s, Resolution r, String access) {
        CoreReloKind kind = s.relocation().kind();
        String head = "CO-RE relocation #" + s.index() + " (instruction " + s.slot() + ", section '" + s.section()
                + "'): ";
        String root = r.localSpec().btf.type(r.localSpec().rootTypeId).name();
        boolean anyType = !candidates.getOrDefault(s.relocation().typeId(), List.of()).isEmpty();
        if (kind.isField()) {
            return head + "field '" + access + "' not found in kernel BTF"
                    + (anyType ? "" : " (no type named '" + essentialName(root) + "' either)");
        }
        if (kind.isEnumValue()) {
            return head + "enumerator '" + r.localSpec().describe() + "' not found in kernel BTF"
                    + (anyType ? "" : " (no enum named '" + essentialName(root) + "' either)");
        }
        return head + "type '" + access + "' not found in kernel BTF";
    }
}
