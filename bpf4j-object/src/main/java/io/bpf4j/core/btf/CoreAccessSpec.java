package io.bpf4j.core.btf;

import io.bpf4j.core.btf.BtfExt.CoreReloKind;

import java.util.ArrayList;
import java.util.List;

/**
 * A CO-RE access path resolved against one BTF: the parsed access string ({@link #raw}, one index per step, anonymous
 * struct and union members included) and its semantic steps ({@link #steps}: the first array index on the root,
 * each named member, each array element), with the bit offset they reach. How libbpf's {@code bpf_core_spec} is
 * documented; the local spec is parsed from the access string, a target spec is found by matching names.
 */
final class CoreAccessSpec {
    /** Longer access paths are refused, as libbpf does. */
    static final int MAX_LEN = 64;

    /**
     * One semantic step.
     *
     * @param typeId for a member: the struct or union holding it; for an array element (and the first step): the
     *               element type (modifiers and typedefs skipped)
     * @param index  the member's index or the array index
     * @param name   the member's (or for enum relocations, the enumerator's) name; null for array elements
     */
    record Step(int typeId, int index, String name) {
    }

    final Btf btf;
    final int rootTypeId;
    final CoreReloKind kind;
    final List<Step> steps = new ArrayList<>();
    final List<Integer> raw = new ArrayList<>();
    long bitOffset;

    CoreAccessSpec(Btf btf, int rootTypeId, CoreReloKind kind) {
        this.btf = btf;
        this.rootTypeId = rootTypeId;
        this.kind = kind;
    }

    /** Parses {@code access} on {@code rootTypeId} of {@code btf}; a {@link BtfException} says what is wrong. */
    static CoreAccessSpec parse(Btf btf, int rootTypeId, String access, CoreReloKind kind) {
        CoreAccessSpec spec = new CoreAccessSpec(btf, rootTypeId, kind);
        if (access.isEmpty() || access.startsWith(":")) throw bad(access, "it is empty or starts with ':'");
        if (kind.isType()) {
            if (!access.equals("0")) throw bad(access, "a type relocation's access string must be \"0\"");
            return spec;
        }
        for (String part : access.split(":", -1)) {
            try {
                spec.raw.add(Integer.parseInt(part));
            } catch (NumberFormatException e) {
                throw bad(access, "'" + part + "' is not a number");
            }
            if (spec.raw.size() > MAX_LEN) throw bad(access, "it is longer than " + MAX_LEN + " steps");
        }
        int id = btf.resolve(rootTypeId);
        BtfType t = btf.type(id);
        int first = spec.raw.getFirst();
        if (first < 0) throw bad(access, "negative index " + first);
        if (kind.isEnumValue()) {
            List<String> names = enumNames(t);
            if (names == null || spec.raw.size() > 1 || first >= names.size()) {
                throw bad(access, "it does not name one enumerator of [" + rootTypeId + "] " + t.kind() + " '"
                        + t.name() + "'");
            }
            spec.steps.add(new Step(id, first, names.get(first)));
            return spec;
        }
        spec.steps.add(new Step(id, first, null));
        spec.bitOffset = first * btf.sizeOf(id) * 8;
        for (int i = 1; i < spec.raw.size(); i++) {
            id = btf.resolve(id);
            t = btf.type(id);
            int idx = spec.raw.get(i);
            if (idx < 0) throw bad(access, "negative index " + idx);
            if (t instanceof BtfType.Composite c) {
                if (idx >= c.members().size()) {
                    throw bad(access, "'" + c.name() + "' has " + c.members().size() + " members, not " + (idx + 1));
                }
                BtfType.Member m = c.members().get(idx);
                spec.bitOffset += Integer.toUnsignedLong(m.bitOffset());
                if (!m.name().isEmpty()) spec.steps.add(new Step(id, idx, m.name()));
                id = m.type();
            } else if (t instanceof BtfType.Array a) {
                int elem = btf.resolve(a.type());
                boolean flex = isFlexibleArray(btf, spec.steps.getLast(), a);
                if (!flex && Integer.toUnsignedLong(idx) >= Integer.toUnsignedLong(a.count())) {
                    throw bad(access, "index " + idx + " is outside an array of " + a.count());
                }
                spec.steps.add(new Step(elem, idx, null));
                spec.bitOffset += idx * btf.sizeOf(elem) * 8;
                id = elem;
            } else {
                throw bad(access, "step " + i + " goes into [" + id + "] " + t.kind() + ", which is neither a "
                        + "struct, union nor array");
            }
        }
        return spec;
    }

    /** An array with no elements that is the last member of its struct: indexing it past 0 is allowed. */
    static boolean isFlexibleArray(Btf btf, Step member, BtfType.Array a) {
        if (member.name() == null || a.count() > 0) return false;
        BtfType holder = btf.type(member.typeId());
        return holder instanceof BtfType.Composite c && member.index() == c.members().size() - 1;
    }

    static List<String> enumNames(BtfType t) {
        return switch (t) {
            case BtfType.Enum e -> e.values().stream().map(BtfType.EnumValue::name).toList();
            case BtfType.Enum64 e -> e.values().stream().map(BtfType.Enum64Value::name).toList();
            default -> null;
        };
    }

    private static BtfException bad(String access, String why) {
        return new BtfException("bad CO-RE access string '" + access + "': " + why);
    }

    /** The last semantic step (the field, element or enumerator the relocation is about). */
    Step last() {
        return steps.getLast();
    }

    /** The C spelling of the access: {@code task_struct.thread_info.flags}, {@code arr[3]}, {@code E::VALUE}. */
    String describe() {
        BtfType root = btf.type(rootTypeId);
        String name = root.name().isEmpty() ? "<anon>" : root.name();
        if (kind.isType()) return name;
        StringBuilder sb = new StringBuilder(name);
        if (kind.isEnumValue()) return sb.append("::").append(steps.getFirst().name()).toString();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            if (s.name() != null) sb.append('.').append(s.name());
            else if (i > 0 || s.index() > 0) sb.append('[').append(s.index()).append(']');
        }
        return sb.toString();
    }

    /** The raw path, e.g. {@code 0:1:2}, and the bit offset, as libbpf's debug log prints them. */
    String describeRaw() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < raw.size(); i++) sb.append(i == 0 ? "" : ":").append(raw.get(i));
        sb.append(" @ offset ").append(bitOffset / 8);
        if (bitOffset % 8 != 0) sb.append('.').append(bitOffset % 8);
        return sb.toString();
    }
}
