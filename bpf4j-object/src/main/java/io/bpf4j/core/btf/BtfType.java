package io.bpf4j.core.btf;

import java.util.List;
import java.util.Objects;

/**
 * One BTF type, as described by the kernel's {@code Documentation/bpf/btf.rst}: a sealed family of records, one per
 * kind, in the style of {@code java.lang.classfile}. Types refer to other types by <em>type id</em> (an index into
 * the {@link Btf} that holds them; 0 is {@code void}), not by object, so a type is plain data: two types are equal
 * when their fields are, and a {@link Btf} can be encoded back to the exact same model.
 *
 * <p>Names are {@code ""} for anonymous types; kinds that have no name in BTF (pointers, arrays, modifiers,
 * function prototypes) return {@code ""} from {@link #name()}.
 */
public sealed interface BtfType {

    /** The kind of this type. */
    BtfKind kind();

    /** The type's name, or {@code ""} when it has none. */
    default String name() {
        return "";
    }

    /** A type that refers to exactly one other type (pointer, typedef, modifier, func, var, tag). */
    sealed interface Ref extends BtfType {
        /** The id of the type referred to. */
        int type();
    }

    /** {@code const}, {@code volatile}, {@code restrict} and type tags: a qualifier on {@link #type()}. */
    sealed interface Modifier extends Ref {
    }

    /** A struct or union: a sized type with members. */
    sealed interface Composite extends BtfType {
        /** Size in bytes. */
        int size();

        /** The members, in BTF order. */
        List<Member> members();

        /**
         * The {@code kind_flag} this type is encoded with: set when a member has a bitfield size, which is then
         * stored in the member's offset word (bits 24–31) instead of in an INT type's {@code nr_bits}.
         */
        default boolean kindFlag() {
            for (Member m : members()) if (m.bitfieldSize() != 0) return true;
            return false;
        }
    }

    /** {@code void}: type id 0. Not stored in a type table. */
    record Void() implements BtfType {
        /** The one instance. */
        public static final Void INSTANCE = new Void();

        @Override public BtfKind kind() { return BtfKind.VOID; }
    }

    /**
     * An integer: {@code size} bytes of which {@code bits} starting at bit {@code offset} are used.
     * {@code encoding} is a set of {@link #SIGNED}, {@link #CHAR}, {@link #BOOL}.
     */
    record Int(String name, int size, int encoding, int offset, int bits) implements BtfType {
        /** Encoding bit: a signed integer. */
        public static final int SIGNED = 1;
        /** Encoding bit: a character type (printing hint). */
        public static final int CHAR = 2;
        /** Encoding bit: a boolean. */
        public static final int BOOL = 4;

        public Int {
            Objects.requireNonNull(name);
        }

        /** A plain integer of {@code size} bytes, all bits used. */
        public static Int of(String name, int size, boolean signed) {
            return new Int(name, size, signed ? SIGNED : 0, 0, size * 8);
        }

        /** True when {@link #SIGNED} is set. */
        public boolean signed() { return (encoding & SIGNED) != 0; }

        @Override public BtfKind kind() { return BtfKind.INT; }
    }

    /** A pointer to {@code type}. */
    record Ptr(int type) implements Ref {
        @Override public BtfKind kind() { return BtfKind.PTR; }
    }

    /** An array of {@code count} elements of {@code type}; {@code indexType} is an integer type (usually int). */
    record Array(int type, int indexType, int count) implements BtfType {
        @Override public BtfKind kind() { return BtfKind.ARRAY; }
    }

    /**
     * A member of a struct or union: its {@code type}, its offset from the start of the composite in bits, and its
     * bitfield size in bits (0 when it is not a bitfield, or when the bitfield width is carried by the INT type).
     */
    record Member(String name, int type, int bitOffset, int bitfieldSize) {
        public Member {
            Objects.requireNonNull(name);
        }

        /** A member that is not a bitfield. */
        public static Member of(String name, int type, int bitOffset) {
            return new Member(name, type, bitOffset, 0);
        }
    }

    /** A struct. */
    record Struct(String name, int size, List<Member> members) implements Composite {
        public Struct {
            Objects.requireNonNull(name);
            members = List.copyOf(members);
        }

        @Override public BtfKind kind() { return BtfKind.STRUCT; }
    }

    /** A union. */
    record Union(String name, int size, List<Member> members) implements Composite {
        public Union {
            Objects.requireNonNull(name);
            members = List.copyOf(members);
        }

        @Override public BtfKind kind() { return BtfKind.UNION; }
    }

    /** An enumerator of an {@link Enum}: the value is read as signed or unsigned after the enum's signedness. */
    record EnumValue(String name, int value) {
        public EnumValue {
            Objects.requireNonNull(name);
        }
    }

    /** An enum with 32-bit values; {@code size} is 1, 2, 4 or 8 bytes; {@code signed} is the kind_flag. */
    record Enum(String name, int size, boolean signed, List<EnumValue> values) implements BtfType {
        public Enum {
            Objects.requireNonNull(name);
            values = List.copyOf(values);
        }

        @Override public BtfKind kind() { return BtfKind.ENUM; }
    }

    /** An enumerator of an {@link Enum64}. */
    record Enum64Value(String name, long value) {
        public Enum64Value {
            Objects.requireNonNull(name);
        }
    }

    /** An enum with 64-bit values; {@code signed} is the kind_flag. */
    record Enum64(String name, int size, boolean signed, List<Enum64Value> values) implements BtfType {
        public Enum64 {
            Objects.requireNonNull(name);
            values = List.copyOf(values);
        }

        @Override public BtfKind kind() { return BtfKind.ENUM64; }
    }

    /** A forward declaration of a struct ({@code union == false}) or union. */
    record Fwd(String name, boolean union) implements BtfType {
        public Fwd {
            Objects.requireNonNull(name);
        }

        @Override public BtfKind kind() { return BtfKind.FWD; }
    }

    /** A typedef: {@code name} stands for {@code type}. */
    record Typedef(String name, int type) implements Ref {
        public Typedef {
            Objects.requireNonNull(name);
        }

        @Override public BtfKind kind() { return BtfKind.TYPEDEF; }
    }

    /** {@code volatile type}. */
    record Volatile(int type) implements Modifier {
        @Override public BtfKind kind() { return BtfKind.VOLATILE; }
    }

    /** {@code const type}. */
    record Const(int type) implements Modifier {
        @Override public BtfKind kind() { return BtfKind.CONST; }
    }

    /** {@code restrict type}. */
    record Restrict(int type) implements Modifier {
        @Override public BtfKind kind() { return BtfKind.RESTRICT; }
    }

    /** A function: its name, its prototype ({@code type}, a {@link FuncProto}) and its linkage. */
    record Func(String name, int type, Linkage linkage) implements Ref {
        public Func {
            Objects.requireNonNull(name);
            Objects.requireNonNull(linkage);
        }

        @Override public BtfKind kind() { return BtfKind.FUNC; }
    }

    /** A parameter of a {@link FuncProto}; the name may be {@code ""}. */
    record Param(String name, int type) {
        public Param {
            Objects.requireNonNull(name);
        }
    }

    /**
     * A function prototype. A variadic prototype ({@code ...}) is encoded in BTF as a last parameter with no name
     * and type 0; here it is {@code variadic == true} and not a parameter.
     */
    record FuncProto(int returnType, List<Param> params, boolean variadic) implements BtfType {
        public FuncProto {
            // BTF's own spelling of "..." (a last, unnamed parameter of type void) means variadic here too, so that
            // a prototype reads back from its encoding as the same record.
            if (!params.isEmpty()) {
                Param last = params.getLast();
                if (last != null && last.type() == 0 && last.name().isEmpty()) {
                    params = params.subList(0, params.size() - 1);
                    variadic = true;
                }
            }
            params = List.copyOf(params);
        }

        @Override public BtfKind kind() { return BtfKind.FUNC_PROTO; }
    }

    /** A variable (in a {@link Datasec}) of {@code type}. */
    record Var(String name, int type, Linkage linkage) implements Ref {
        public Var {
            Objects.requireNonNull(name);
            Objects.requireNonNull(linkage);
        }

        @Override public BtfKind kind() { return BtfKind.VAR; }
    }

    /** A variable placed in a {@link Datasec}: the {@link Var}'s id, its offset and size in the section. */
    record VarSecinfo(int type, int offset, int size) {
    }

    /** A data section ({@code .data}, {@code .bss}, {@code .maps}, …) of {@code size} bytes and its variables. */
    record Datasec(String name, int size, List<VarSecinfo> vars) implements BtfType {
        public Datasec {
            Objects.requireNonNull(name);
            vars = List.copyOf(vars);
        }

        @Override public BtfKind kind() { return BtfKind.DATASEC; }
    }

    /** A floating-point type of {@code size} bytes. */
    record Float(String name, int size) implements BtfType {
        public Float {
            Objects.requireNonNull(name);
        }

        @Override public BtfKind kind() { return BtfKind.FLOAT; }
    }

    /**
     * A declaration tag ({@code __attribute__((btf_decl_tag("value")))}) on {@code type}, or on one of its members or
     * parameters when {@code componentIdx >= 0}; {@code attribute} (kind_flag) marks a plain
     * {@code __attribute__((value))}.
     */
    record DeclTag(String name, int type, int componentIdx, boolean attribute) implements Ref {
        public DeclTag {
            Objects.requireNonNull(name);
        }

        @Override public BtfKind kind() { return BtfKind.DECL_TAG; }
    }

    /**
     * A type tag ({@code __attribute__((btf_type_tag("value")))}, e.g. {@code __rcu}, {@code __user}) on
     * {@code type}; {@code attribute} (kind_flag) marks a plain {@code __attribute__((value))}.
     */
    record TypeTag(String name, int type, boolean attribute) implements Modifier {
        public TypeTag {
            Objects.requireNonNull(name);
        }

        @Override public BtfKind kind() { return BtfKind.TYPE_TAG; }
    }
}
