package io.bpf4j.core.btf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Encodes types into BTF bytes: header, type section, then a deduplicated string section. */
final class BtfWriter {
    private final ByteOrder order;
    private final int baseStrings;
    private final Btf base;
    private final ByteArrayOutputStream strings = new ByteArrayOutputStream();
    private final Map<String, Integer> stringOffsets = new HashMap<>();
    private ByteBuffer out = ByteBuffer.allocate(4096);

    private BtfWriter(ByteOrder order, Btf base) {
        this.order = order;
        this.base = base;
        this.baseStrings = base == null ? 0 : base.stringsEnd();
        out.order(order);
        strings.write(0); // offset 0 is "" (for split BTF, offset 0 is the base's "", this NUL is never referred to)
        stringOffsets.put("", 0);
    }

    /**
     * @param firstId     the id the first type gets (only used in error messages)
     * @param base        the base of split BTF, or null: its strings are reused, new ones go after its end
     */
    static byte[] encode(List<? extends BtfType> types, ByteOrder order, int firstId, Btf base) {
        BtfWriter w = new BtfWriter(order, base);
        int id = firstId;
        for (BtfType t : types) {
            if (t == null || t instanceof BtfType.Void)
                throw new BtfException("cannot encode type [" + id + "]: " + (t == null ? "null" : "void")
                        + " is not a type table entry");
            w.write(t, id++);
        }
        return w.finish();
    }

    /**
     * As {@link #encode}, with {@code extra} strings put in the string section too (text that no type names, such
     * as the source lines that line info refers to); their offsets are written into {@code offsets}.
     */
    static byte[] encode(List<? extends BtfType> types, List<String> extra, int[] offsets) {
        BtfWriter w = new BtfWriter(ByteOrder.nativeOrder(), null);
        int id = 1;
        for (BtfType t : types) w.write(t, id++);
        for (int i = 0; i < extra.size(); i++) offsets[i] = w.string(extra.get(i));
        return w.finish();
    }

    private byte[] finish() {
        byte[] str = strings.toByteArray();
        int typeLen = out.position();
        ByteBuffer b = ByteBuffer.allocate(BtfParser.HEADER_SIZE + typeLen + str.length).order(order);
        b.putShort((short) BtfParser.MAGIC).put((byte) 1).put((byte) 0).putInt(BtfParser.HEADER_SIZE);
        b.putInt(0).putInt(typeLen).putInt(typeLen).putInt(str.length);
        b.put(out.array(), 0, typeLen).put(str);
        return b.array();
    }

    private void write(BtfType t, int id) {
        switch (t) {
            case BtfType.Int i -> {
                check(i.encoding() >= 0 && i.encoding() <= 0xf && i.offset() >= 0 && i.offset() <= 0xff
                        && i.bits() >= 0 && i.bits() <= 0xff, id, "INT encoding, offset and bits must fit 4, 8, 8 bits");
                head(i.name(), BtfKind.INT, 0, false, i.size());
                u32(i.encoding() << 24 | i.offset() << 16 | i.bits());
            }
            case BtfType.Ptr p -> head("", BtfKind.PTR, 0, false, p.type());
            case BtfType.Array a -> {
                head("", BtfKind.ARRAY, 0, false, 0);
                u32(a.type());
                u32(a.indexType());
                u32(a.count());
            }
            case BtfType.Composite c -> {
                boolean kflag = c.kindFlag();
                head(c.name(), c.kind(), vlen(c.members().size(), id), kflag, c.size());
                for (BtfType.Member m : c.members()) {
                    int name = string(m.name());
                    int off = m.bitOffset();
                    if (kflag) {
                        check(off >= 0 && off <= 0xffffff && m.bitfieldSize() >= 0 && m.bitfieldSize() <= 0xff, id,
                                "member '" + m.name() + "': bit offset must fit 24 bits and bitfield size 8 bits");
                        off |= m.bitfieldSize() << 24;
                    }
                    u32(name);
                    u32(m.type());
                    u32(off);
                }
            }
            case BtfType.Enum e -> {
                head(e.name(), BtfKind.ENUM, vlen(e.values().size(), id), e.signed(), e.size());
                for (BtfType.EnumValue v : e.values()) {
                    u32(string(v.name()));
                    u32(v.value());
                }
            }
            case BtfType.Enum64 e -> {
                head(e.name(), BtfKind.ENUM64, vlen(e.values().size(), id), e.signed(), e.size());
                for (BtfType.Enum64Value v : e.values()) {
                    u32(string(v.name()));
                    u32((int) v.value());
                    u32((int) (v.value() >>> 32));
                }
            }
            case BtfType.Fwd f -> head(f.name(), BtfKind.FWD, 0, f.union(), 0);
            case BtfType.Typedef td -> head(td.name(), BtfKind.TYPEDEF, 0, false, td.type());
            case BtfType.Volatile v -> head("", BtfKind.VOLATILE, 0, false, v.type());
            case BtfType.Const c -> head("", BtfKind.CONST, 0, false, c.type());
            case BtfType.Restrict r -> head("", BtfKind.RESTRICT, 0, false, r.type());
            case BtfType.Func f -> head(f.name(), BtfKind.FUNC, f.linkage().code(), false, f.type());
            case BtfType.FuncProto fp -> {
                int n = fp.params().size() + (fp.variadic() ? 1 : 0);
                head("", BtfKind.FUNC_PROTO, vlen(n, id), false, fp.returnType());
                for (BtfType.Param p : fp.params()) {
                    u32(string(p.name()));
                    u32(p.type());
                }
                if (fp.variadic()) {
                    u32(0);
                    u32(0);
                }
            }
            case BtfType.Var v -> {
                head(v.name(), BtfKind.VAR, 0, false, v.type());
                u32(v.linkage().code());
            }
            case BtfType.Datasec d -> {
                head(d.name(), BtfKind.DATASEC, vlen(d.vars().size(), id), false, d.size());
                for (BtfType.VarSecinfo v : d.vars()) {
                    u32(v.type());
                    u32(v.offset());
                    u32(v.size());
                }
            }
            case BtfType.Float f -> head(f.name(), BtfKind.FLOAT, 0, false, f.size());
            case BtfType.DeclTag dt -> {
                head(dt.name(), BtfKind.DECL_TAG, 0, dt.attribute(), dt.type());
                u32(dt.componentIdx());
            }
            case BtfType.TypeTag tt -> head(tt.name(), BtfKind.TYPE_TAG, 0, tt.attribute(), tt.type());
            case BtfType.Void v -> throw new IllegalStateException("checked by encode");
        }
    }

    private static int vlen(int n, int id) {
        check(n <= 0xffff, id, "at most 65535 members, values, parameters or variables (BTF's vlen), not " + n);
        return n;
    }

    private static void check(boolean ok, int id, String what) {
        if (!ok) throw new BtfException("cannot encode type [" + id + "]: " + what);
    }

    private void head(String name, BtfKind kind, int vlen, boolean kflag, int sizeOrType) {
        u32(string(name));
        u32((kflag ? 1 << 31 : 0) | kind.code() << 24 | vlen);
        u32(sizeOrType);
    }

    private void u32(int v) {
        if (out.remaining() < 4) {
            ByteBuffer bigger = ByteBuffer.allocate(out.capacity() * 2).order(order);
            bigger.put(out.array(), 0, out.position());
            out = bigger;
        }
        out.putInt(v);
    }

    private int string(String s) {
        Integer off = stringOffsets.get(s);
        if (off == null && base != null) {
            // split BTF: a name the base already has is referred to there, as the kernel's own module BTF does
            int b = base.stringOffset(s);
            if (b >= 0) {
                stringOffsets.put(s, b);
                return b;
            }
        }
        if (off == null) {
            off = baseStrings + strings.size();
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            for (byte c : bytes)
                if (c == 0) throw new BtfException("cannot encode the name '" + s + "': it holds a NUL character");
            strings.writeBytes(bytes);
            strings.write(0);
            stringOffsets.put(s, off);
        }
        return off;
    }
}
