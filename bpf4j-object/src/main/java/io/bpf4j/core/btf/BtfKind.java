package io.bpf4j.core.btf;

/**
 * The kind of a BTF type, with its number in {@code btf_type.info} (bits 24–28) and the upper-case name bpftool
 * prints ({@code STRUCT}, {@code FUNC_PROTO}, …).
 */
public enum BtfKind {
    VOID(0), INT(1), PTR(2), ARRAY(3), STRUCT(4), UNION(5), ENUM(6), FWD(7), TYPEDEF(8), VOLATILE(9), CONST(10),
    RESTRICT(11), FUNC(12), FUNC_PROTO(13), VAR(14), DATASEC(15), FLOAT(16), DECL_TAG(17), TYPE_TAG(18), ENUM64(19);

    private static final BtfKind[] BY_CODE = values();

    private final int code;

    BtfKind(int code) {
        this.code = code;
    }

    /** The kind's number in the BTF encoding. */
    public int code() {
        return code;
    }

    /** The kind with number {@code code}, or null when this library does not know it. */
    static BtfKind ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }

    /** The number of bytes that follow the 12-byte {@code struct btf_type} for a type of this kind with {@code vlen}. */
    public int extraSize(int vlen) {
        return switch (this) {
            case INT, VAR, DECL_TAG -> 4;
            case ARRAY -> 12;
            case STRUCT, UNION, DATASEC, ENUM64 -> 12 * vlen;
            case ENUM, FUNC_PROTO -> 8 * vlen;
            default -> 0;
        };
    }
}
