package io.bpf4j.core.features;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalInt;

/**
 * A stopgap: just enough of the kernel's BTF (/sys/kernel/btf/vmlinux) to find a type's id by kind and name, a
 * struct's size and a member's index — what the probes of BTF-attached programs (fentry, LSM, tp_btf, iter,
 * struct_ops) need. One linear scan per lookup, no type model, no validation beyond the magic. Not a BTF model:
 * that is {@code io.bpf4j.core.btf}'s job, and this class goes once the probes can use it. Keep it this small.
 */
final class KernelBtf {
    static final Path VMLINUX = Path.of("/sys/kernel/btf/vmlinux");

    static final int KIND_INT = 1, KIND_PTR = 2, KIND_ARRAY = 3, KIND_STRUCT = 4, KIND_UNION = 5, KIND_ENUM = 6,
            KIND_FWD = 7, KIND_TYPEDEF = 8, KIND_FUNC = 12, KIND_FUNC_PROTO = 13, KIND_VAR = 14, KIND_DATASEC = 15,
            KIND_DECL_TAG = 17, KIND_ENUM64 = 19;

    private final ByteBuffer buf;
    private final int typesStart;
    private final int stringsStart;
    private final int stringsLen;
    /** offsets[id] = where type {@code id} starts in {@link #buf}; id 0 is void. */
    private final int[] offsets;
    private final int count;

    private KernelBtf(byte[] raw) {
        buf = ByteBuffer.wrap(raw);
        int magic = buf.order(ByteOrder.LITTLE_ENDIAN).getShort(0) & 0xffff;
        if (magic != 0xeb9f) {
            buf.order(ByteOrder.BIG_ENDIAN);
            if ((buf.getShort(0) & 0xffff) != 0xeb9f) throw new IllegalArgumentException("not BTF: bad magic");
        }
        int hdrLen = buf.getInt(4);
        typesStart = hdrLen + buf.getInt(8);
        int typesEnd = typesStart + buf.getInt(12);
        stringsStart = hdrLen + buf.getInt(16);
        stringsLen = buf.getInt(20);
        int[] offs = new int[1 << 16];
        int n = 1;
        for (int p = typesStart; p < typesEnd; n++) {
            if (n == offs.length) offs = Arrays.copyOf(offs, n * 2);
            offs[n] = p;
            p += 12 + extra(p);
        }
        offsets = offs;
        count = n;
    }

    /** The kernel's BTF, or null when the kernel has none (CONFIG_DEBUG_INFO_BTF not set). Read once. */
    static KernelBtf vmlinux() {
        return Holder.VMLINUX;
    }

    private static final class Holder {
        static final KernelBtf VMLINUX = read();

        private static KernelBtf read() {
            try {
                return new KernelBtf(Files.readAllBytes(KernelBtf.VMLINUX));
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /** Parses raw BTF bytes (for tests). */
    static KernelBtf parse(byte[] raw) {
        return new KernelBtf(raw);
    }

    /** How many types there are, void included. */
    int typeCount() {
        return count;
    }

    private int info(int p) {
        return buf.getInt(p + 4);
    }

    static int kindOf(int info) {
        return (info >>> 24) & 0x1f;
    }

    static int vlenOf(int info) {
        return info & 0xffff;
    }

    /** Bytes that follow the 12-byte common header of the type at {@code p}. */
    private int extra(int p) {
        int info = info(p);
        int vlen = vlenOf(info);
        return switch (kindOf(info)) {
            case KIND_INT, KIND_VAR, KIND_DECL_TAG -> 4;
            case KIND_ARRAY -> 12;
            case KIND_STRUCT, KIND_UNION, KIND_DATASEC, KIND_ENUM64 -> 12 * vlen;
            case KIND_ENUM, KIND_FUNC_PROTO -> 8 * vlen;
            default -> 0; // PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG
        };
    }

    /** The id of the first type of {@code kind} named {@code name}. */
    OptionalInt find(int kind, String name) {
        byte[] want = name.getBytes(StandardCharsets.UTF_8);
        for (int id = 1; id < count; id++) {
            int p = offsets[id];
            if (kindOf(info(p)) == kind && nameIs(buf.getInt(p), want)) return OptionalInt.of(id);
        }
        return OptionalInt.empty();
    }

    /** The size of a struct, union, int or enum. */
    int size(int id) {
        return buf.getInt(offsets[id] + 8);
    }

    /** The index of member {@code member} in the struct or union {@code id}, or -1. */
    int memberIndex(int id, String member) {
        int p = offsets[id];
        byte[] want = member.getBytes(StandardCharsets.UTF_8);
        int vlen = vlenOf(info(p));
        for (int i = 0; i < vlen; i++) {
            if (nameIs(buf.getInt(p + 12 + 12 * i), want)) return i;
        }
        return -1;
    }

    /** The name of type {@code id}. */
    String name(int id) {
        int off = stringsStart + buf.getInt(offsets[id]);
        int end = off;
        while (buf.get(end) != 0) end++;
        return new String(buf.array(), off, end - off, StandardCharsets.UTF_8);
    }

    private boolean nameIs(int nameOff, byte[] want) {
        if (nameOff <= 0 || nameOff + want.length >= stringsLen) return false;
        int p = stringsStart + nameOff;
        for (int i = 0; i < want.length; i++) {
            if (buf.get(p + i) != want[i]) return false;
        }
        return buf.get(p + want.length) == 0;
    }
}
