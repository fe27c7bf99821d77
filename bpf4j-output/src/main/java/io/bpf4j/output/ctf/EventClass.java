package io.bpf4j.output.ctf;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.output.EventType;

import java.util.Set;

/**
 * One CTF event class made from an {@link EventType}'s BTF struct: its TSDL declaration, and how many bytes of the
 * raw struct its payload is.
 *
 * <p>The payload is the C struct's bytes as the BPF program wrote them, copied unchanged. That works because TSDL
 * integers declared with their C alignment make a CTF reader skip the same padding a C compiler inserted; where a
 * member is not where natural alignment would put it (packed structs, bitfields after gaps) an explicit
 * {@code _padN} field covers the gap. Unions, which CTF 1.8 lacks, are a hex integer when they have an integer's
 * size and alignment, else their bytes. Char arrays are declared as UTF-8 byte arrays, which readers show as strings
 * ending at the first NUL.
 */
final class EventClass {
    /** TSDL keywords: a field with such a name is written with a leading underscore, which readers remove. */
    private static final Set<String> KEYWORDS = Set.of("align", "callsite", "const", "char", "clock", "double",
            "enum", "env", "event", "floating_point", "float", "integer", "int", "long", "short", "signed", "stream",
            "string", "struct", "trace", "typealias", "typedef", "unsigned", "variant", "void", "_Bool", "_Complex",
            "_Imaginary");

    final int id;
    final EventType type;
    /** Bytes of the raw struct that the payload declaration covers: up to the end of its last member. */
    final int payloadBytes;
    /** The payload's alignment in bytes, which the writer must give its start. */
    final int payloadAlign;
    final String tsdl;

    private final Btf btf;
    private int pads;
    private long maxAlignBits = 8;

    EventClass(int id, EventType type) {
        this.id = id;
        this.type = type;
        this.btf = type.btf();
        BtfType.Composite struct = (BtfType.Composite) btf.resolveType(type.typeId());
        StringBuilder fields = new StringBuilder();
        long end = members(struct, fields, "\t\t");
        this.payloadBytes = (int) ((end + 7) / 8);
        // a CTF struct is aligned as its most aligned field, which is what C does too, except for packed structs
        this.payloadAlign = (int) (maxAlignBits / 8);
        this.tsdl = "event {\n\tname = \"" + escape(type.name()) + "\";\n\tid = " + id + ";\n\tstream_id = 0;\n"
                + "\tfields := struct {\n" + fields + "\t};\n};\n\n";
    }

    /** Declares the members of {@code struct} into {@code out}; returns the bit where the last one ends. */
    private long members(BtfType.Composite struct, StringBuilder out, String indent) {
        long at = 0;
        for (BtfType.Member m : struct.members()) {
            if (m.name().isEmpty() && !(btf.resolveType(m.type()) instanceof BtfType.Composite)) continue;
            long size = m.bitfieldSize() > 0 ? m.bitfieldSize() : bitSize(m.type());
            if (size == 0) continue; // flexible array member: nothing fixed to describe
            boolean bitfield = m.bitfieldSize() > 0;
            long align = bitfield ? 1 : ctfAlign(m.type());
            if (m.bitOffset() % align != 0) align = m.bitOffset() % 8 == 0 ? 8 : 1;
            long natural = (at + align - 1) / align * align;
            if (m.bitOffset() > natural) {
                pad(out, indent, m.bitOffset() - at);
                at = m.bitOffset();
            }
            String name = m.name().isEmpty() ? "_anon" + (pads++) : name(m.name());
            if (bitfield) {
                BtfType t = btf.resolveType(m.type());
                boolean signed = t instanceof BtfType.Int i && i.signed()
                        || t instanceof BtfType.Enum e && e.signed();
                out.append(indent).append(integer(size, 1, signed, 10, false)).append(' ').append(name).append(";\n");
            } else {
                out.append(indent).append(declaration(m.type(), name, indent)).append(";\n");
            }
            at = m.bitOffset() + size;
        }
        return at;
    }

    private void pad(StringBuilder out, String indent, long bits) {
        String name = "_pad" + (pads++);
        if (bits % 8 == 0) {
            out.append(indent).append(integer(8, 8, false, 16, false)).append(' ').append(name).append('[')
                    .append(bits / 8).append("];\n");
        } else {
            out.append(indent).append(integer(bits, 1, false, 16, false)).append(' ').append(name).append(";\n");
        }
    }

    /** The TSDL declaration of a field {@code name} of BTF type {@code typeId}. */
    private String declaration(int typeId, String name, String indent) {
        BtfType t = btf.resolveType(typeId);
        return switch (t) {
            case BtfType.Int i when i.size() > 8 -> integer(8, 8, false, 16, false) + " " + name + "[" + i.size() + "]";
            case BtfType.Int i -> integer((long) i.size() * 8, (long) i.size() * 8, i.signed() && (i.encoding() & BtfType.Int.BOOL) == 0,
                    10, false) + " " + name;
            case BtfType.Ptr p -> integer(64, 64, false, 16, false) + " " + name;
            case BtfType.Enum e -> enumeration(e.size(), e.signed(), e.values().stream()
                    .map(v -> new Label(v.name(), v.value())).toList()) + " " + name;
            case BtfType.Enum64 e -> enumeration(e.size(), e.signed(), e.values().stream()
                    .map(v -> new Label(v.name(), v.value())).toList()) + " " + name;
            case BtfType.Float f when f.size() > 8 -> integer(8, 8, false, 16, false) + " " + name + "[" + f.size() + "]";
            case BtfType.Float f -> floating(f.size()) + " " + name;
            case BtfType.Array a when isChar(a.type()) -> integer(8, 8, false, 10, true) + " " + name + "[" + a.count() + "]";
            case BtfType.Array a -> declaration(a.type(), name + "[" + a.count() + "]", indent);
            case BtfType.Struct s -> {
                StringBuilder inner = new StringBuilder();
                long end = members(s, inner, indent + "\t");
                // trailing padding inside a nested struct is part of its size: the next member starts after it
                if (end < (long) s.size() * 8) pad(inner, indent + "\t", (long) s.size() * 8 - end);
                yield "struct {\n" + inner + indent + "} " + name;
            }
            // CTF 1.8 has no untagged unions: a small one is shown as a hex number, a larger one as its bytes
            case BtfType.Union u when isWord(u.size(), btf.alignOf(typeId)) ->
                    integer(u.size() * 8L, u.size() * 8L, false, 16, false) + " " + name;
            default -> integer(8, 8, false, 16, false) + " " + name + "[" + btf.sizeOf(typeId) + "]";
        };
    }

    /**
     * The alignment in bits a CTF reader gives the declaration of {@code typeId}: C's, except for what is declared
     * as a byte array (unions, 128-bit numbers), which readers align to a byte.
     */
    private long ctfAlign(int typeId) {
        return switch (btf.resolveType(typeId)) {
            case BtfType.Int i -> i.size() > 8 ? 8 : i.size() * 8L;
            case BtfType.Ptr p -> 64;
            case BtfType.Enum e -> e.size() * 8L;
            case BtfType.Enum64 e -> e.size() * 8L;
            case BtfType.Float f -> f.size() > 8 ? 8 : f.size() * 8L;
            case BtfType.Array a -> isChar(a.type()) ? 8 : ctfAlign(a.type());
            case BtfType.Union u when isWord(u.size(), btf.alignOf(typeId)) -> u.size() * 8L;
            case BtfType.Struct s -> s.members().stream()
                    .mapToLong(m -> m.bitfieldSize() > 0 ? 1 : ctfAlign(m.type())).max().orElse(8);
            default -> 8;
        };
    }

    private record Label(String name, long value) {
    }

    private String enumeration(int size, boolean signed, java.util.List<Label> labels) {
        StringBuilder sb = new StringBuilder("enum : ").append(integer(size * 8L, size * 8L, signed, 10, false))
                .append(" { ");
        for (int i = 0; i < labels.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append('"').append(escape(labels.get(i).name())).append("\" = ").append(labels.get(i).value());
        }
        return sb.append(" }").toString();
    }

    /** An integer type; notes its alignment, which the payload's start must have. */
    private String integer(long bits, long align, boolean signed, int base, boolean text) {
        maxAlignBits = Math.max(maxAlignBits, align);
        return tsdlInteger(bits, align, signed, base, text);
    }

    static String tsdlInteger(long bits, long align, boolean signed, int base, boolean text) {
        return "integer { size = " + bits + "; align = " + align + "; signed = " + (signed ? "true" : "false")
                + (base != 10 ? "; base = " + base : "") + (text ? "; encoding = UTF8" : "") + "; }";
    }

    private String floating(int bytes) {
        maxAlignBits = Math.max(maxAlignBits, bytes * 8L);
        return "floating_point { exp_dig = " + (bytes == 4 ? 8 : 11) + "; mant_dig = " + (bytes == 4 ? 24 : 53)
                + "; align = " + bytes * 8 + "; }";
    }

    private static boolean isWord(int size, int align) {
        return (size == 1 || size == 2 || size == 4 || size == 8) && align == size;
    }

    private boolean isChar(int typeId) {
        return btf.resolveType(typeId) instanceof BtfType.Int i && i.size() == 1
                && ((i.encoding() & BtfType.Int.CHAR) != 0 || i.name().equals("char"));
    }

    /** Size in bits of a member's type (0 for a flexible array). */
    private long bitSize(int typeId) {
        return btf.sizeOf(typeId) * 8;
    }

    private static String name(String field) {
        if (KEYWORDS.contains(field) || field.startsWith("_")) return "_" + field;
        return field;
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
