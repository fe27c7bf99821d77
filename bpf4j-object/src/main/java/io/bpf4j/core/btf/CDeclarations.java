package io.bpf4j.core.btf;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The body of {@link BtfCHeader}: orders the types and spells each as C. Ordering is a depth-first walk from each
 * top-level type in id order: before a definition is written, every type it uses <em>by value</em> is defined, and
 * every struct or union it uses only <em>through a pointer</em> is at least declared.
 */
final class CDeclarations {
    /** How a type is used, which decides what must come before the use. */
    private enum Use { BY_VALUE, THROUGH_POINTER }

    /** Far more than C code nests (vmlinux: under 20), far less than what overflows the stack. */
    private static final int MAX_DEPTH = 200;
    private static final int UNTOUCHED = 0, DEFINING = 1, DEFINED = 2;

    private final Btf btf;
    private final Appendable out;
    private final byte[] state;
    private final boolean[] declared;
    private final String[] names;
    /** Composites being spelled right now: meeting one again inside itself means a cycle. */
    private final boolean[] printing;
    private boolean[] referenced;
    private final Map<String, Integer> tagNames = new HashMap<>();
    private final Map<String, Integer> identNames = new HashMap<>();
    private int depth;
    private long inlined;
    private int padCount;

    CDeclarations(Btf btf, Appendable out) {
        this.btf = btf;
        this.out = out;
        int n = btf.nextTypeId();
        this.state = new byte[n];
        this.declared = new boolean[n];
        this.names = new String[n];
        this.printing = new boolean[n];
    }

    void writeAll() throws IOException {
        referenced = referencedTypes();
        for (int id = 1; id < btf.nextTypeId(); id++) {
            BtfType t = btf.type(id);
            boolean topLevel = switch (t) {
                case BtfType.Composite c -> !c.name().isEmpty();
                case BtfType.Typedef td -> true;
                case BtfType.Fwd f -> true;
                case BtfType.Enum e -> !e.name().isEmpty() || !referenced[id];
                case BtfType.Enum64 e -> !e.name().isEmpty() || !referenced[id];
                default -> false;
            };
            if (topLevel) define(id);
        }
    }

    /** Which types are used by another type: an anonymous enum nobody uses is written on its own. */
    private boolean[] referencedTypes() {
        boolean[] r = new boolean[btf.nextTypeId()];
        for (int id = 1; id < btf.nextTypeId(); id++) {
            switch (btf.type(id)) {
                case BtfType.Composite c -> { for (BtfType.Member m : c.members()) mark(r, m.type()); }
                case BtfType.Array a -> mark(r, a.type());
                case BtfType.FuncProto fp -> {
                    mark(r, fp.returnType());
                    for (BtfType.Param p : fp.params()) mark(r, p.type());
                }
                case BtfType.Ref ref -> mark(r, ref.type());
                default -> { }
            }
        }
        return r;
    }

    private static void mark(boolean[] r, int id) {
        if (id >= 0 && id < r.length) r[id] = true;
    }

    // ---- ordering ----

    /** Writes the definition of a top-level type (after what it depends on), once. */
    private void define(int id) throws IOException {
        if (state[id] != UNTOUCHED) return; // DEFINING: a by-value cycle, which C cannot have; leave it
        BtfType t = btf.type(id);
        if (t instanceof BtfType.Typedef td && td.name().equals("__builtin_va_list")) {
            state[id] = DEFINED; // the compiler's own: redefining it breaks the build
            return;
        }
        state[id] = DEFINING;
        enter();
        switch (t) {
            case BtfType.Composite c -> {
                for (BtfType.Member m : c.members()) require(m.type(), Use.BY_VALUE);
                out.append(composite(id, c, 0)).append(";\n\n");
            }
            case BtfType.Enum e -> out.append(enumBody(id, 0)).append(";\n\n");
            case BtfType.Enum64 e -> out.append(enumBody(id, 0)).append(";\n\n");
            case BtfType.Typedef td -> {
                require(td.type(), Use.THROUGH_POINTER);
                out.append("typedef ").append(decl(td.type(), name(id), 0)).append(";\n\n");
            }
            case BtfType.Fwd f -> out.append(f.union() ? "union " : "struct ").append(name(id)).append(";\n\n");
            default -> { }
        }
        leave();
        state[id] = DEFINED;
        declared[id] = true;
    }

    /** Makes sure what {@code id} needs for this use is written before the use. */
    private void require(int id, Use use) throws IOException {
        enter();
        BtfType t = btf.type(id);
        switch (t) {
            case BtfType.Ptr p -> require(p.type(), Use.THROUGH_POINTER);
            // an array's element type must be complete even behind a pointer
            case BtfType.Array a -> require(a.type(), Use.BY_VALUE);
            case BtfType.Modifier m -> require(m.type(), use);
            case BtfType.Typedef td -> {
                define(id);
                // the typedef may have been written with only a declaration of its struct: complete it now
                if (use == Use.BY_VALUE) require(td.type(), Use.BY_VALUE);
            }
            case BtfType.Composite c when c.name().isEmpty() -> {
                // written inline where it is used, so its members' needs come first (once: C cannot nest an
                // anonymous type in itself, and malformed BTF that does must not send us round forever)
                if (state[id] == UNTOUCHED) {
                    state[id] = DEFINING;
                    for (BtfType.Member m : c.members()) require(m.type(), Use.BY_VALUE);
                    state[id] = DEFINED;
                }
            }
            case BtfType.Composite c -> {
                if (use == Use.BY_VALUE) define(id);
                else if (!declared[id] && state[id] != DEFINED) {
                    declared[id] = true;
                    out.append(c instanceof BtfType.Union ? "union " : "struct ").append(name(id)).append(";\n\n");
                }
            }
            case BtfType.Enum e when !e.name().isEmpty() -> define(id);
            case BtfType.Enum64 e when !e.name().isEmpty() -> define(id);
            case BtfType.Fwd f -> define(id);
            case BtfType.FuncProto fp -> {
                // parameters and the result of a prototype may be incomplete types: declarations suffice
                require(fp.returnType(), Use.THROUGH_POINTER);
                for (BtfType.Param p : fp.params()) require(p.type(), Use.THROUGH_POINTER);
            }
            default -> { }
        }
        leave();
    }

    private void enter() {
        if (++depth > MAX_DEPTH)
            throw new BtfException("BTF types nest deeper than " + MAX_DEPTH + " levels: a reference cycle?");
    }

    private void leave() {
        depth--;
    }

    // ---- names ----

    /** The C name of a named type, with a ___N suffix when an earlier distinct type took the name. */
    String name(int id) {
        String n = names[id];
        if (n != null) return n;
        BtfType t = btf.type(id);
        n = t.name();
        boolean keep = n.isEmpty() || t instanceof BtfType.Fwd
                || (t instanceof BtfType.Enum e && e.values().isEmpty());
        if (!keep) {
            Map<String, Integer> space = t instanceof BtfType.Typedef ? identNames : tagNames;
            n = unique(space, n);
        }
        return names[id] = n;
    }

    private static String unique(Map<String, Integer> space, String n) {
        int count = space.merge(n, 1, Integer::sum);
        return count > 1 ? n + "___" + count : n;
    }

    // ---- spelling ----

    /** How C spells a use of type {@code id} declaring {@code inner} (a name, or "" for an abstract declarator). */
    private String decl(int id, String inner, int indent) {
        enter();
        try {
            BtfType t = btf.type(id);
            return switch (t) {
                case BtfType.Ptr p -> decl(p.type(), "*" + inner, indent);
                case BtfType.Array a -> decl(a.type(), wrap(inner) + "[" + Integer.toUnsignedString(a.count()) + "]",
                        indent);
                case BtfType.FuncProto fp -> decl(fp.returnType(), wrap(inner) + "(" + params(fp) + ")", indent);
                case BtfType.Const c -> qualified(c.type(), "const", inner, indent);
                case BtfType.Volatile v -> qualified(v.type(), "volatile", inner, indent);
                case BtfType.Restrict r -> qualified(r.type(), "restrict", inner, indent);
                case BtfType.TypeTag tt -> decl(tt.type(), (tt.attribute() ? "__attribute__((" + tt.name() + "))"
                        : "__attribute__((btf_type_tag(\"" + tt.name() + "\")))") + " " + inner, indent);
                default -> join(base(id, t, indent), inner);
            };
        } finally {
            leave();
        }
    }

    /** A qualifier applies to a pointer when written after the '*', to anything else when written before it. */
    private String qualified(int target, String qualifier, String inner, int indent) {
        int skipped = BtfLayout.skip(btf, target, false);
        if (btf.type(skipped) instanceof BtfType.Ptr) return decl(target, qualifier + " " + inner, indent);
        // C qualifies an array's elements, not the array: BTF may carry the qualifier on both; write it once
        if (btf.type(skipped) instanceof BtfType.Array a && hasQualifier(a.type(), qualifier))
            return decl(target, inner, indent);
        return qualifier + " " + decl(target, inner, indent);
    }

    private boolean hasQualifier(int id, String qualifier) {
        for (int i = 0; i < BtfLayout.MAX_DEPTH; i++) {
            BtfType t = btf.type(id);
            if (t instanceof BtfType.Array a) id = a.type();
            else if (t instanceof BtfType.Modifier m) {
                if (qualifier.equals(switch (m) {
                    case BtfType.Const c -> "const";
                    case BtfType.Volatile v -> "volatile";
                    case BtfType.Restrict r -> "restrict";
                    case BtfType.TypeTag tt -> "";
                })) return true;
                id = m.type();
            } else return false;
        }
        return false;
    }


    /** A declarator that starts with a pointer must be parenthesised before an array or function suffix. */
    private static String wrap(String inner) {
        return inner.startsWith("*") ? "(" + inner + ")" : inner;
    }

    private static String join(String base, String inner) {
        if (inner.isEmpty()) return base;
        return base.endsWith("*") ? base + inner : base + " " + inner;
    }

    private String params(BtfType.FuncProto fp) {
        if (fp.params().isEmpty()) return fp.variadic() ? "..." : "void";
        StringBuilder sb = new StringBuilder();
        for (BtfType.Param p : fp.params()) {
            if (!sb.isEmpty()) sb.append(", ");
            // names are left out, as bpftool does: a parameter named like a typedef would break the next one
            sb.append(decl(p.type(), "", 0));
        }
        if (fp.variadic()) sb.append(", ...");
        return sb.toString();
    }

    /** The type specifier: a name, or the whole body of an anonymous struct, union or enum. */
    private String base(int id, BtfType t, int indent) {
        return switch (t) {
            case BtfType.Void v -> "void";
            case BtfType.Int i -> i.name();
            case BtfType.Float f -> f.name();
            case BtfType.Typedef td -> name(id);
            case BtfType.Composite c when c.name().isEmpty() -> composite(id, c, indent);
            case BtfType.Composite c -> (c instanceof BtfType.Union ? "union " : "struct ") + name(id);
            case BtfType.Enum e when e.name().isEmpty() -> enumBody(id, indent);
            case BtfType.Enum64 e when e.name().isEmpty() -> enumBody(id, indent);
            case BtfType.Enum e -> "enum " + name(id);
            case BtfType.Enum64 e -> "enum " + name(id);
            case BtfType.Fwd f -> (f.union() ? "union " : "struct ") + name(id);
            // not C types (FUNC, VAR, DATASEC, DECL_TAG): nothing sensible to write; keep the header compiling
            default -> "void";
        };
    }

    private static String tabs(int n) {
        return "\t".repeat(n);
    }

    /** A struct or union definition, members at {@code indent + 1}, closed by "}" (no ';'). */
    private String composite(int id, BtfType.Composite c, int indent) {
        // anonymous types are spelled where used, normally once each; malformed BTF can make that exponential
        if (c.name().isEmpty() && ++inlined > 4L * btf.nextTypeId() + 1000)
            throw new BtfException("BTF anonymous struct/union [" + id + "] is used in too many places to write "
                    + "inline: malformed BTF?");
        if (printing[id])
            throw new BtfException("BTF anonymous struct/union [" + id + "] contains itself: malformed BTF");
        printing[id] = true;
        try {
            return compositeBody(id, c, indent);
        } finally {
            printing[id] = false;
        }
    }

    private String compositeBody(int id, BtfType.Composite c, int indent) {
        boolean union = c instanceof BtfType.Union;
        boolean packed = BtfLayout.isPacked(btf, c);
        StringBuilder sb = new StringBuilder();
        sb.append(union ? "union" : "struct");
        if (!c.name().isEmpty()) sb.append(' ').append(name(id));
        if (c.members().isEmpty() && c.size() == 0) return sb.append(" {}").toString();
        sb.append(" {\n");
        String in = tabs(indent + 1);
        long cur = 0;
        int align = packed ? 1 : alignOrOne(id);
        for (BtfType.Member m : c.members()) {
            long off = Integer.toUnsignedLong(m.bitOffset());
            int bits = bitfieldBits(m);
            if (!union) {
                // packed: bitfields follow on at once, other members at the next byte
                long natural = packed ? (bits > 0 ? cur : alignUp(cur, 8)) : naturalOffset(cur, m, bits);
                if (off > natural) padding(sb, in, cur, off, packed ? 64 : Math.min(64, align * 8));
            }
            sb.append(in).append(decl(m.type(), m.name(), indent + 1));
            if (bits > 0) sb.append(": ").append(bits);
            sb.append(";\n");
            long end = off + (bits > 0 ? bits : sizeBits(m.type()));
            cur = union ? Math.max(cur, end) : end;
        }
        long size = Integer.toUnsignedLong(c.size()) * 8;
        if (!union && cur < size && alignUp(cur, align * 8L) != size)
            padding(sb, in, cur, size, packed ? 64 : Math.min(64, align * 8));
        sb.append(tabs(indent)).append('}');
        if (packed) sb.append(" __attribute__((packed))");
        return sb.toString();
    }

    private int alignOrOne(int id) {
        try {
            return btf.alignOf(id);
        } catch (BtfException e) {
            return 1;
        }
    }

    private long sizeBits(int type) {
        try {
            return btf.sizeOf(type) * 8;
        } catch (BtfException e) {
            return 0; // e.g. a member of a forward-declared type: nothing to lay out after it
        }
    }

    /** The member's bitfield width: its own, or (old kind_flag 0 encoding) a narrow INT's bits; 0 if none. */
    private int bitfieldBits(BtfType.Member m) {
        if (m.bitfieldSize() != 0) return m.bitfieldSize();
        return BtfLayout.isBitfield(btf, m) && btf.resolveType(m.type()) instanceof BtfType.Int i ? i.bits() : 0;
    }

    /** Where the compiler puts this member after {@code cur} bits without help. */
    private long naturalOffset(long cur, BtfType.Member m, int bits) {
        int align = alignOrOne(m.type());
        if (bits == 0) return alignUp(cur, align * 8L);
        long unit = sizeBits(m.type());
        if (unit <= 0) return cur;
        // a bitfield goes at cur unless it would straddle a unit of its type; then at the next unit
        return cur / unit == (cur + bits - 1) / unit ? cur : alignUp(cur, unit);
    }

    private static long alignUp(long v, long a) {
        return a <= 1 ? v : (v + a - 1) / a * a;
    }

    /**
     * Fills bits [from, to) with unnamed bitfields no wider than {@code unit} bits, each within one aligned unit,
     * so the compiler neither moves them nor raises the struct's alignment. A gap of more than a few hundred bytes
     * becomes a byte array instead (bitfields would take a line per 8 bytes).
     */
    private void padding(StringBuilder sb, String in, long from, long to, int unit) {
        String type = switch (unit) {
            case 64 -> "long";
            case 32 -> "int";
            case 16 -> "short";
            default -> "char";
        };
        if (unit > 64 || unit < 8) unit = 8;
        long cur = from;
        while (cur < to) {
            if (cur % 8 == 0 && to - cur >= 4096) {
                long bytes = (to - cur) / 8;
                sb.append(in).append("char __pad").append(padCount++).append('[').append(bytes).append("];\n");
                cur += bytes * 8;
                continue;
            }
            long w = Math.min(unit - cur % unit, to - cur);
            sb.append(in).append(type).append(": ").append(w).append(";\n");
            cur += w;
        }
    }

    /** An enum definition, closed by "}" (no ';'). */
    private String enumBody(int id, int indent) {
        BtfType t = btf.type(id);
        StringBuilder sb = new StringBuilder("enum");
        if (!t.name().isEmpty()) sb.append(' ').append(name(id));
        String in = tabs(indent + 1);
        int size;
        switch (t) {
            case BtfType.Enum e -> {
                size = e.size();
                if (e.values().isEmpty()) return sb.toString();
                sb.append(" {\n");
                for (BtfType.EnumValue v : e.values())
                    sb.append(in).append(unique(identNames, v.name())).append(" = ")
                            .append(e.signed() ? Integer.toString(v.value()) : Integer.toUnsignedString(v.value()))
                            .append(",\n");
            }
            case BtfType.Enum64 e -> {
                size = e.size();
                sb.append(" {\n");
                for (BtfType.Enum64Value v : e.values())
                    sb.append(in).append(unique(identNames, v.name())).append(" = ")
                            .append(e.signed() ? v.value() + "LL" : Long.toUnsignedString(v.value()) + "ULL")
                            .append(",\n");
            }
            default -> throw new IllegalStateException("not an enum: " + t);
        }
        sb.append(tabs(indent)).append('}');
        // an enum narrower than int (the kernel's __packed enums) only keeps its size when packed
        if (size < 4) sb.append(" __attribute__((packed))");
        return sb.toString();
    }

}
