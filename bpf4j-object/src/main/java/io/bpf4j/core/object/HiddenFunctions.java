package io.bpf4j.core.object;

import io.bpf4j.core.btf.BtfKind;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * Global functions with hidden visibility ({@code __hidden}, e.g. the helpers of libbpf's usdt.bpf.h) cannot be
 * called from outside the object, so libbpf marks their BTF FUNC static: the verifier then checks them in each
 * caller's context instead of alone (alone, {@code bpf_usdt_arg}'s {@code *res = 0} through an unchecked
 * pointer is rejected). bpf4j does the same, in place, so string offsets (and with them line info) stay valid.
 */
final class HiddenFunctions {
    private static final int BTF_MAGIC = 0xeb9f;
    private static final int FUNC_GLOBAL = 1;

    private HiddenFunctions() {
    }

    /** {@code btf} with the FUNC of every name in {@code hidden} made static; {@code btf} itself when none is. */
    static byte[] markStatic(byte[] btf, Set<String> hidden) {
        if (hidden.isEmpty() || btf.length < 24) return btf;
        byte[] raw = btf.clone();
        ByteBuffer in = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        if ((in.getShort(0) & 0xffff) != BTF_MAGIC) in.order(ByteOrder.BIG_ENDIAN);
        if ((in.getShort(0) & 0xffff) != BTF_MAGIC) return btf;
        int hdrLen = in.getInt(4);
        int typeOff = hdrLen + in.getInt(8), typeLen = in.getInt(12);
        int strOff = hdrLen + in.getInt(16), strLen = in.getInt(20);
        if (typeOff + typeLen > raw.length || strOff + strLen > raw.length) return btf; // the BTF parser says why
        BtfKind[] kinds = BtfKind.values();
        boolean changed = false;
        for (int p = typeOff; p + 12 <= typeOff + typeLen; ) {
            int info = in.getInt(p + 4);
            int k = (info >>> 24) & 0x1f;
            if (k >= kinds.length) return btf;
            int vlen = info & 0xffff;
            if (kinds[k] == BtfKind.FUNC && vlen == FUNC_GLOBAL) {
                int at = strOff + in.getInt(p), end = at;
                while (end < strOff + strLen && raw[end] != 0) end++;
                if (hidden.contains(new String(raw, at, end - at, StandardCharsets.UTF_8))) {
                    in.putInt(p + 4, info & ~0xffff); // linkage static
                    changed = true;
                }
            }
            p += 12 + kinds[k].extraSize(vlen);
        }
        return changed ? raw : btf;
    }
}
