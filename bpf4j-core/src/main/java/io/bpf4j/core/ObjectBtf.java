package io.bpf4j.core;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfException;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectSpec;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes an object's BTF loadable by {@code BPF_BTF_LOAD}, as libbpf's {@code btf_finalize_data} and
 * {@code bpf_object__sanitize_btf} do: clang leaves every {@code DATASEC} with size 0 and its variables at offset 0
 * (the linker would fill them in), writes {@code extern} linkage on {@code VAR}s and {@code FUNC}s and puts extern
 * functions into the {@code .ksyms} DATASEC; the kernel rejects all of that.
 *
 * <p>The string section is kept byte for byte (new strings are appended), so string offsets in
 * {@code .BTF.ext} line info stay valid; type ids stay too (new types are appended).
 */
final class ObjectBtf {
    private static final int HEADER = 24;
    private static final int VAR_LINKAGE_GLOBAL = 1;
    private static final int LINKAGE_EXTERN = 2;
    private static final int FUNC_LINKAGE_GLOBAL = 1;

    private ObjectBtf() {
    }

    /** The sanitized BTF bytes of {@code spec}; {@code btf} is {@code spec.btf()} parsed. */
    static byte[] sanitize(ObjectSpec spec, Btf btf) {
        byte[] raw = spec.btf();
        ByteOrder order = btf.order();
        ByteBuffer in = ByteBuffer.wrap(raw).order(order);
        int hdrLen = in.getInt(4);
        int typeOff = hdrLen + in.getInt(8), typeLen = in.getInt(12);
        int strOff = hdrLen + in.getInt(16), strLen = in.getInt(20);
        byte[] types = Arrays.copyOfRange(raw, typeOff, typeOff + typeLen);
        ByteBuffer t = ByteBuffer.wrap(types).order(order);
        Appender extra = new Appender(order, btf.nextTypeId(), strLen);

        Map<String, ObjectMap> dataMaps = new HashMap<>();
        for (ObjectMap m : spec.maps()) if (m.kind() == ObjectMap.Kind.DATA) dataMaps.put(m.name(), m);

        int id = btf.firstTypeId();
        for (int p = 0; p < typeLen; id++) {
            int info = t.getInt(p + 4);
            BtfKind kind = BtfKind.values()[(info >>> 24) & 0x1f];
            int vlen = info & 0xffff;
            switch (kind) {
                case VAR -> {
                    if (t.getInt(p + 12) == LINKAGE_EXTERN) t.putInt(p + 12, VAR_LINKAGE_GLOBAL);
                }
                case FUNC -> {
                    if (vlen == LINKAGE_EXTERN) t.putInt(p + 4, (info & ~0xffff) | FUNC_LINKAGE_GLOBAL);
                }
                case DATASEC -> fixDatasec(btf, id, t, p, vlen, dataMaps, extra);
                default -> {
                }
            }
            p += 12 + kind.extraSize(vlen);
        }

        byte[] newTypes = extra.types.toByteArray();
        byte[] newStrings = extra.strings.toByteArray();
        int totalTypes = typeLen + newTypes.length, totalStrings = strLen + newStrings.length;
        ByteBuffer out = ByteBuffer.allocate(HEADER + totalTypes + totalStrings).order(order);
        out.putShort((short) 0xeb9f).put((byte) 1).put((byte) 0).putInt(HEADER)
                .putInt(0).putInt(totalTypes).putInt(totalTypes).putInt(totalStrings);
        out.put(types).put(newTypes).put(raw, strOff, strLen).put(newStrings);
        return out.array();
    }

    /** Fills in a DATASEC's size and its variables' offsets (sorted by offset, as the kernel requires). */
    private static void fixDatasec(Btf btf, int id, ByteBuffer t, int p, int vlen, Map<String, ObjectMap> dataMaps,
                                   Appender extra) {
        BtfType.Datasec sec = btf.type(id, BtfType.Datasec.class);
        if (sec.size() != 0) return; // already laid out (by a linker, or a newer compiler)
        ObjectMap data = dataMaps.get(sec.name());
        Map<String, ObjectMap.Variable> vars = new HashMap<>();
        if (data != null) for (ObjectMap.Variable v : data.variables()) vars.put(v.name(), v);
        record Entry(int type, int offset, int size) {
        }
        List<Entry> entries = new ArrayList<>();
        long end = 0;
        List<BtfType.VarSecinfo> unplaced = new ArrayList<>();
        for (BtfType.VarSecinfo v : sec.vars()) {
            BtfType vt = btf.type(v.type());
            ObjectMap.Variable known = vt instanceof BtfType.Var var ? vars.get(var.name()) : null;
            if (known != null) {
                entries.add(new Entry(v.type(), known.offset(), v.size()));
                end = Math.max(end, (long) known.offset() + v.size());
            } else {
                unplaced.add(v);
            }
        }
        for (BtfType.VarSecinfo v : unplaced) {
            BtfType vt = btf.type(v.type());
            int type = v.type(), size = v.size(), align = 8;
            if (vt instanceof BtfType.Func) { // an extern function in .ksyms: the kernel wants only VARs
                type = extra.dummyVar(btf);
                size = 4;
                align = 4;
            } else {
                try {
                    align = Math.max(1, btf.alignOf(v.type()));
                    if (size == 0) size = (int) btf.sizeOf(v.type());
                } catch (BtfException e) {
                    // a type without layout: keep the 8-byte alignment and the given size
                }
            }
            long offset = (end + align - 1) / align * align;
            entries.add(new Entry(type, (int) offset, size));
            end = offset + size;
        }
        entries.sort(Comparator.comparingInt(Entry::offset));
        long size = data != null ? Math.max(end, data.spec().valueSize()) : end;
        t.putInt(p + 8, (int) size);
        int x = p + 12;
        for (Entry e : entries) {
            t.putInt(x, e.type()).putInt(x + 4, e.offset()).putInt(x + 8, e.size());
            x += 12;
        }
        assert entries.size() == vlen;
    }


    /** Types and strings appended after the object's own. */
    private static final class Appender {
        final ByteArrayOutputStream types = new ByteArrayOutputStream();
        final ByteArrayOutputStream strings = new ByteArrayOutputStream();
        final ByteOrder order;
        final int stringBase;
        int nextId;
        int dummyVar;

        Appender(ByteOrder order, int nextId, int stringBase) {
            this.order = order;
            this.nextId = nextId;
            this.stringBase = stringBase;
        }

        int string(String s) {
            int off = stringBase + strings.size();
            strings.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            strings.write(0);
            return off;
        }

        int type(int nameOff, int info, int sizeOrType, int... extra) {
            ByteBuffer b = ByteBuffer.allocate(12 + 4 * extra.length).order(order);
            b.putInt(nameOff).putInt(info).putInt(sizeOrType);
            for (int e : extra) b.putInt(e);
            types.writeBytes(b.array());
            return nextId++;
        }

        /** A 4-byte int VAR standing in for extern functions in a DATASEC (libbpf's dummy ksym). */
        int dummyVar(Btf btf) {
            if (dummyVar != 0) return dummyVar;
            int intType = btf.typeId("int", BtfKind.INT).orElse(0);
            if (intType == 0 || btf.sizeOf(intType) != 4)
                intType = type(string("int"), BtfKind.INT.code() << 24, 4, 1 << 24 | 32); // signed, 32 bits
            dummyVar = type(string("dummy_ksym"), BtfKind.VAR.code() << 24, intType, VAR_LINKAGE_GLOBAL);
            return dummyVar;
        }
    }
}
