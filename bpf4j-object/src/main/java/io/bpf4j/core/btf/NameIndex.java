package io.bpf4j.core.btf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Type indexes by name, for one {@link Btf}'s own types: an open-addressing hash table of ints over the name
 * bytes, hashed and compared in the string section itself. vmlinux has ~127k types: a {@code HashMap<String, …>}
 * would decode every name into a String and cost about 12 MB of heap; this costs one int per slot.
 */
final class NameIndex {
    private final Btf btf;
    /** slot → type index + 1, 0 = empty; size a power of two, at most half full. */
    private final int[] slots;

    /** An index built before, whose {@link #slots()} were kept (see {@link VmlinuxCache}). */
    NameIndex(Btf btf, int[] slots) {
        if (Integer.bitCount(slots.length) != 1) throw new BtfException("a name index of " + slots.length
                + " slots: not a power of two");
        this.btf = btf;
        this.slots = slots;
    }

    /** The hash table, to keep for a later {@link #NameIndex(Btf, int[])}; not to be changed. */
    int[] slots() {
        return slots;
    }

    NameIndex(Btf btf, ByteBuffer types, int[] offsets, int count) {
        this.btf = btf;
        int named = 0;
        for (int i = 0; i < count; i++) if (types.getInt(offsets[i]) != 0) named++;
        int size = Integer.highestOneBit(Math.max(16, named * 2 - 1)) << 1;
        slots = new int[size];
        int mask = size - 1;
        for (int i = 0; i < count; i++) {
            int off = types.getInt(offsets[i]);
            if (off == 0) continue;
            int s = btf.hashString(off) & mask;
            while (slots[s] != 0) s = (s + 1) & mask;
            slots[s] = i + 1; // in ascending order, so equal names are met in id order along a probe chain
        }
    }

    /** Indexes (id - firstId) of the types named {@code name}, ascending. */
    int[] find(String name, ByteBuffer types, int[] offsets) {
        byte[] q = name.getBytes(StandardCharsets.UTF_8);
        int mask = slots.length - 1;
        int[] out = new int[0];
        for (int s = hash(q, q.length) & mask; slots[s] != 0; s = (s + 1) & mask) {
            int i = slots[s] - 1;
            if (btf.stringEquals(types.getInt(offsets[i]), q, name)) {
                out = Arrays.copyOf(out, out.length + 1);
                out[out.length - 1] = i;
            }
        }
        return out;
    }

    /** FNV-1a, then a final mix so that linear probing sees spread-out low bits. */
    static int hash(byte[] b, int len) {
        int h = 0x811c9dc5;
        for (int i = 0; i < len; i++) h = (h ^ (b[i] & 0xff)) * 0x01000193;
        return mix(h);
    }

    /**
     * The hash of the NUL-terminated string at {@code start}, or -1 when it is not ASCII: a name that is not ASCII is hashed in its canonical UTF-8 form (invalid bytes read as U+FFFD, as {@link Btf#string} does),
     * so that a lookup by the decoded name finds it.
     */
    static int hash(ByteBuffer b, int start) {
        int h = 0x811c9dc5;
        for (int i = start; ; i++) {
            byte c = b.get(i);
            if (c == 0) return mix(h);
            if (c < 0) return -1; // not ASCII: the caller hashes the decoded form
            h = (h ^ c) * 0x01000193;
        }
    }

    private static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        return h ^ (h >>> 13);
    }
}
