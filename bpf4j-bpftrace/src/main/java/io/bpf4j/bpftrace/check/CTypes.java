package io.bpf4j.bpftrace.check;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.btf.KernelBtf;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The C types a program names: its own struct definitions ({@code struct Foo { int x; char c[4]; }}, laid out as C
 * does on x86-64, bitfields included), then the kernel's through BTF ({@code struct task_struct}), and the integer
 * type names of C and bpftrace ({@code unsigned int}, {@code uint32_t}, {@code u32}, {@code uint32}).
 */
public final class CTypes {
    private static final Pattern TOKEN = Pattern.compile("\\s*([A-Za-z_][A-Za-z_0-9]*|0[xX][0-9a-fA-F]+|\\d+|\\S)");
    private static final Map<String, Type.Int> NAMED_INTS = namedInts();

    private final Map<String, Type.Record> defined = new HashMap<>();
    private final Map<Integer, Type> fromBtf = new HashMap<>();
    private Btf btf;
    private boolean btfTried;
    /** The kernel's enumerators by name ({@code SKB_DROP_REASON_NOT_SPECIFIED}), read from BTF on first use. */
    private Map<String, Long> enumerators;

    /** Defines the struct or union written in {@code text} ({@code struct NAME { members }}). */
    public void define(String text) {
        Reader r = new Reader(text);
        Type t = r.specifier();
        if (!(t instanceof Type.Record rec) || rec.name().isEmpty()) {
            throw new IllegalArgumentException("expected a struct or union definition with a name");
        }
        defined.put(rec.name(), rec);
    }

    /**
     * The type named {@code text}: an integer type, {@code struct NAME} or {@code union NAME}, each maybe followed
     * by {@code *}s.
     *
     * @throws IllegalArgumentException when it names no known type
     */
    public Type parse(String text) {
        Reader r = new Reader(text);
        Type t = r.specifier();
        while (r.accept("*")) t = new Type.Ptr(t);
        if (r.peek() != null) throw new IllegalArgumentException("unexpected '" + r.peek() + "' in type " + text);
        return t;
    }

    /** Whether {@code word} starts a type name (so that {@code (word …)} is a cast). */
    public static boolean startsType(String word) {
        return word.equals("struct") || word.equals("union") || word.equals("unsigned") || word.equals("signed")
                || word.equals("const") || word.equals("volatile") || word.equals("void")
                || NAMED_INTS.containsKey(word) || word.equals("long") || word.equals("short");
    }

    /** The struct {@code name} ({@code struct task_struct}): the program's own definition, else the kernel's. */
    public Optional<Type.Record> record(String name) {
        Type.Record r = defined.get(name);
        if (r != null) return Optional.of(r);
        Btf b = kernelBtf();
        if (b == null) return Optional.empty();
        boolean union = name.startsWith("union ");
        String bare = name.substring(name.indexOf(' ') + 1);
        for (int id : b.typeIds(bare)) {
            BtfType t = b.type(id);
            if (union ? t instanceof BtfType.Union : t instanceof BtfType.Struct) {
                return Optional.of((Type.Record) btfType(b, id, 0));
            }
        }
        return Optional.empty();
    }

    /**
     * The value of the kernel enumerator {@code name} ({@code SKB_DROP_REASON_NOT_SPECIFIED} of
     * {@code enum skb_drop_reason}), as bpftrace has it from the kernel's types; empty when BTF has none of that name.
     */
    public OptionalLong enumerator(String name) {
        if (enumerators == null) {
            enumerators = new HashMap<>();
            Btf b = kernelBtf();
            if (b != null) {
                for (BtfType t : b.types()) {
                    if (t instanceof BtfType.Enum e) {
                        for (BtfType.EnumValue v : e.values()) {
                            enumerators.putIfAbsent(v.name(), e.signed() ? v.value() : v.value() & 0xffffffffL);
                        }
                    } else if (t instanceof BtfType.Enum64 e) {
                        for (BtfType.Enum64Value v : e.values()) enumerators.putIfAbsent(v.name(), v.value());
                    }
                }
            }
        }
        Long v = enumerators.get(name);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    private Btf kernelBtf() {
        if (!btfTried) {
            btfTried = true;
            try {
                btf = KernelBtf.vmlinux();
            } catch (RuntimeException noBtf) {
                btf = null;
            }
        }
        return btf;
    }

    /** A BTF type as a type of the language; structs nested deeper than {@code depth} 3 become opaque. */
    private Type btfType(Btf b, int id, int depth) {
        Type known = fromBtf.get(id);
        if (known != null) return known;
        BtfType t = b.type(id);
        Type out = switch (t) {
            case BtfType.Int i -> new Type.Int(Math.min(i.size(), 8),
                    (i.encoding() & 1) != 0 || i.name().equals("char"));
            case BtfType.Enum e -> new Type.Int(e.size(), e.signed());
            case BtfType.Enum64 e -> new Type.Int(8, e.signed());
            case BtfType.Ptr p -> new Type.Ptr(pointee(b, p.type(), depth));
            case BtfType.Array a -> new Type.Array(btfType(b, a.type(), depth), a.count());
            case BtfType.Typedef td -> btfType(b, td.type(), depth);
            case BtfType.Const c -> btfType(b, c.type(), depth);
            case BtfType.Volatile v -> btfType(b, v.type(), depth);
            case BtfType.Restrict r -> btfType(b, r.type(), depth);
            case BtfType.Struct s -> record(b, "struct " + s.name(), s.size(), s.members(), depth);
            case BtfType.Union u -> record(b, "union " + u.name(), u.size(), u.members(), depth);
            default -> new Type.Int(8, false);
        };
        fromBtf.put(id, out);
        return out;
    }

    /** A pointer's target: structs are resolved lazily by name (they may be recursive). */
    private Type pointee(Btf b, int id, int depth) {
        int resolved = b.resolve(id);
        BtfType t = b.type(resolved);
        if (t instanceof BtfType.Struct s && !s.name().isEmpty()) return new Type.Named("struct " + s.name());
        if (t instanceof BtfType.Union u && !u.name().isEmpty()) return new Type.Named("union " + u.name());
        if (t instanceof BtfType.Void || t instanceof BtfType.FuncProto || t instanceof BtfType.Fwd) {
            return new Type.Int(1, false);
        }
        return btfType(b, id, depth + 1);
    }

    private Type.Record record(Btf b, String name, int size, List<BtfType.Member> members, int depth) {
        List<Type.Member> out = new ArrayList<>();
        for (BtfType.Member m : members) {
            Type mt = btfType(b, m.type(), depth + 1);
            int byteOff = m.bitOffset() / 8;
            if (m.bitfieldSize() != 0) {
                out.add(new Type.Member(m.name(), mt, 0, m.bitOffset(), m.bitfieldSize()));
            } else if (m.name().isEmpty() && mt instanceof Type.Record inner) {
                // an anonymous struct or union: its members are the outer struct's
                for (Type.Member im : inner.members()) {
                    out.add(new Type.Member(im.name(), im.type(), im.offset() + byteOff, im.bitOffset()
                            + (im.bitWidth() == 0 ? 0 : byteOff * 8), im.bitWidth()));
                }
            } else {
                out.add(new Type.Member(m.name(), mt, byteOff, 0, 0));
            }
        }
        return new Type.Record(name.endsWith(" ") ? "" : name, size, out);
    }

    /**
     * Resolves a pointer target that was left as a name ({@link Type.Named}) to its record.
     *
     * @throws IllegalArgumentException when the name is unknown
     */
    public Type resolve(Type t) {
        if (t instanceof Type.Named n) {
            return record(n.name()).orElseThrow(() -> new IllegalArgumentException("unknown type " + n.name()));
        }
        return t;
    }

    private static Map<String, Type.Int> namedInts() {
        Map<String, Type.Int> m = new HashMap<>();
        for (int bits : new int[] {8, 16, 32, 64}) {
            Type.Int s = new Type.Int(bits / 8, true);
            Type.Int u = new Type.Int(bits / 8, false);
            m.put("int" + bits, s);
            m.put("uint" + bits, u);
            m.put("int" + bits + "_t", s);
            m.put("uint" + bits + "_t", u);
            m.put("u_int" + bits + "_t", u);
            m.put("s" + bits, s);
            m.put("u" + bits, u);
            m.put("__s" + bits, s);
            m.put("__u" + bits, u);
        }
        m.put("char", new Type.Int(1, true));
        m.put("int", new Type.Int(4, true));
        m.put("bool", new Type.Int(1, false));
        m.put("_Bool", new Type.Int(1, false));
        m.put("size_t", new Type.Int(8, false));
        m.put("ssize_t", new Type.Int(8, true));
        m.put("pid_t", new Type.Int(4, true));
        m.put("uid_t", new Type.Int(4, false));
        m.put("gid_t", new Type.Int(4, false));
        m.put("uintptr_t", new Type.Int(8, false));
        m.put("intptr_t", new Type.Int(8, true));
        return m;
    }

    /** A reader of C declarations. */
    private final class Reader {
        private final List<String> tokens = new ArrayList<>();
        private int pos;

        Reader(String text) {
            Matcher m = TOKEN.matcher(text);
            int at = 0;
            while (at < text.length() && m.find(at) && m.start() == at) {
                tokens.add(m.group(1));
                at = m.end();
                while (at < text.length() && Character.isWhitespace(text.charAt(at))) at++;
            }
        }

        String peek() {
            return pos < tokens.size() ? tokens.get(pos) : null;
        }

        String next() {
            if (pos >= tokens.size()) throw new IllegalArgumentException("unexpected end of the declaration");
            return tokens.get(pos++);
        }

        boolean accept(String t) {
            if (t.equals(peek())) {
                pos++;
                return true;
            }
            return false;
        }

        void expect(String t) {
            String n = next();
            if (!n.equals(t)) throw new IllegalArgumentException("expected '" + t + "', found '" + n + "'");
        }

        /** A type specifier: an integer type, or a struct/union reference or definition. */
        Type specifier() {
            while (accept("const") || accept("volatile")) {
                // qualifiers change nothing here
            }
            String w = next();
            if (w.equals("struct") || w.equals("union")) {
                String name = "";
                if (peek() != null && !peek().equals("{")) name = w + " " + next();
                if (accept("{")) return body(name, w.equals("union"));
                if (name.isEmpty()) throw new IllegalArgumentException("expected a struct name or body");
                Type.Record r = defined.get(name);
                return r != null ? r : new Type.Named(name);
            }
            if (w.equals("void")) return new Type.Int(1, false);
            boolean unsigned = false;
            boolean sawSign = false;
            int longs = 0;
            boolean shrt = false;
            String base = null;
            while (true) {
                switch (w) {
                    case "unsigned" -> {
                        unsigned = true;
                        sawSign = true;
                    }
                    case "signed" -> sawSign = true;
                    case "long" -> longs++;
                    case "short" -> shrt = true;
                    case "int", "char" -> base = w;
                    default -> {
                        Type.Int named = NAMED_INTS.get(w);
                        if (named == null) throw new IllegalArgumentException("unknown type '" + w + "'");
                        return named;
                    }
                }
                String p = peek();
                if (p == null || !(p.equals("unsigned") || p.equals("signed") || p.equals("long")
                        || p.equals("short") || p.equals("int") || p.equals("char"))) {
                    break;
                }
                w = next();
            }
            int size = "char".equals(base) ? 1 : shrt ? 2 : longs > 0 ? 8 : 4;
            if (!sawSign && base == null && longs == 0 && !shrt) throw new IllegalArgumentException("no type");
            return new Type.Int(size, !unsigned);
        }

        /** Members up to the closing brace, laid out as C does. */
        Type.Record body(String name, boolean union) {
            List<Type.Member> members = new ArrayList<>();
            int bit = 0; // the next free bit
            int size = 0;
            int align = 1;
            while (!accept("}")) {
                Type spec = specifier();
                do {
                    Type t = spec;
                    while (accept("*")) t = new Type.Ptr(t);
                    String member = "";
                    if (peek() != null && Character.isJavaIdentifierStart(peek().charAt(0))) member = next();
                    List<Integer> dims = new ArrayList<>();
                    while (accept("[")) {
                        dims.add(Integer.decode(next()));
                        expect("]");
                    }
                    for (int i = dims.size() - 1; i >= 0; i--) t = new Type.Array(t, dims.get(i));
                    int width = 0;
                    if (accept(":")) width = Integer.decode(next());
                    int a = t.align();
                    align = Math.max(align, a);
                    if (width > 0) {
                        int unit = t.cSize() * 8;
                        int start = union ? 0 : bit;
                        if (start / unit != (start + width - 1) / unit) start = (start + unit - 1) / unit * unit;
                        members.add(new Type.Member(member, t, 0, start, width));
                        bit = union ? Math.max(bit, width) : start + width;
                        size = Math.max(size, (start + width + 7) / 8);
                    } else {
                        int off = union ? 0 : ((bit + 7) / 8 + a - 1) / a * a;
                        if (member.isEmpty() && t instanceof Type.Record inner) {
                            for (Type.Member im : inner.members()) {
                                members.add(new Type.Member(im.name(), im.type(), im.offset() + off,
                                        im.bitWidth() == 0 ? 0 : im.bitOffset() + off * 8, im.bitWidth()));
                            }
                        } else {
                            members.add(new Type.Member(member, t, off, 0, 0));
                        }
                        bit = union ? Math.max(bit, t.cSize() * 8) : (off + t.cSize()) * 8;
                        size = Math.max(size, off + t.cSize());
                    }
                } while (accept(","));
                if (!accept(";") && !"}".equals(peek())) {
                    throw new IllegalArgumentException("expected ';' after a member, found '" + peek() + "'");
                }
            }
            size = Math.max(size, (bit + 7) / 8);
            size = (size + align - 1) / align * align;
            return new Type.Record(name, size, members);
        }
    }
}
