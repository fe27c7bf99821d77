package io.bpf4j.core.btf;

/** bpftool's raw text format ({@code bpftool btf dump file F}), one type at a time. */
final class BtfRawFormat {
    private BtfRawFormat() {
    }

    static void append(Btf btf, int id, StringBuilder sb) {
        BtfType t = btf.type(id);
        String name = t.name().isEmpty() ? "(anon)" : t.name();
        sb.append('[').append(id).append("] ").append(t.kind()).append(" '").append(name).append('\'');
        switch (t) {
            case BtfType.Int i -> sb.append(" size=").append(u(i.size())).append(" bits_offset=").append(i.offset())
                    .append(" nr_bits=").append(i.bits()).append(" encoding=").append(switch (i.encoding()) {
                        case 0 -> "(none)";
                        case BtfType.Int.SIGNED -> "SIGNED";
                        case BtfType.Int.CHAR -> "CHAR";
                        case BtfType.Int.BOOL -> "BOOL";
                        default -> "(unknown)";
                    });
            case BtfType.Array a -> sb.append(" type_id=").append(u(a.type())).append(" index_type_id=")
                    .append(u(a.indexType())).append(" nr_elems=").append(u(a.count()));
            case BtfType.Composite c -> {
                sb.append(" size=").append(u(c.size())).append(" vlen=").append(c.members().size());
                for (BtfType.Member m : c.members()) {
                    sb.append("\n\t'").append(m.name().isEmpty() ? "(anon)" : m.name()).append("' type_id=")
                            .append(u(m.type())).append(" bits_offset=").append(u(m.bitOffset()));
                    if (m.bitfieldSize() != 0) sb.append(" bitfield_size=").append(m.bitfieldSize());
                }
            }
            case BtfType.Enum e -> {
                enumHead(sb, e.signed(), e.size(), e.values().size());
                for (BtfType.EnumValue v : e.values())
                    sb.append("\n\t'").append(v.name()).append("' val=")
                            .append(e.signed() ? Integer.toString(v.value()) : Integer.toUnsignedString(v.value()));
            }
            case BtfType.Enum64 e -> {
                enumHead(sb, e.signed(), e.size(), e.values().size());
                for (BtfType.Enum64Value v : e.values())
                    sb.append("\n\t'").append(v.name()).append("' val=")
                            .append(e.signed() ? v.value() + "LL" : Long.toUnsignedString(v.value()) + "ULL");
            }
            case BtfType.Fwd f -> sb.append(" fwd_kind=").append(f.union() ? "union" : "struct");
            case BtfType.Func f -> sb.append(" type_id=").append(u(f.type())).append(" linkage=")
                    .append(f.linkage().label());
            case BtfType.FuncProto fp -> {
                sb.append(" ret_type_id=").append(u(fp.returnType())).append(" vlen=")
                        .append(fp.params().size() + (fp.variadic() ? 1 : 0));
                for (BtfType.Param p : fp.params())
                    sb.append("\n\t'").append(p.name().isEmpty() ? "(anon)" : p.name()).append("' type_id=")
                            .append(u(p.type()));
                if (fp.variadic()) sb.append("\n\t'(anon)' type_id=0");
            }
            case BtfType.Var v -> sb.append(" type_id=").append(u(v.type())).append(", linkage=")
                    .append(v.linkage().label());
            case BtfType.Datasec d -> {
                sb.append(" size=").append(u(d.size())).append(" vlen=").append(d.vars().size());
                for (BtfType.VarSecinfo v : d.vars()) {
                    sb.append("\n\ttype_id=").append(u(v.type())).append(" offset=").append(u(v.offset()))
                            .append(" size=").append(u(v.size()));
                    BtfType var = btf.type(v.type());
                    sb.append(" (").append(var.kind()).append(" '")
                            .append(var.name().isEmpty() ? "(anon)" : var.name()).append("')");
                }
            }
            case BtfType.Float f -> sb.append(" size=").append(u(f.size()));
            case BtfType.DeclTag dt -> sb.append(" type_id=").append(u(dt.type())).append(" component_idx=")
                    .append(dt.componentIdx());
            case BtfType.Ref r -> sb.append(" type_id=").append(u(r.type()));
            case BtfType.Void v -> {
            }
        }
    }

    private static void enumHead(StringBuilder sb, boolean signed, int size, int vlen) {
        sb.append(" encoding=").append(signed ? "SIGNED" : "UNSIGNED").append(" size=").append(u(size))
                .append(" vlen=").append(vlen);
    }

    private static String u(int v) {
        return Integer.toUnsignedString(v);
    }
}
