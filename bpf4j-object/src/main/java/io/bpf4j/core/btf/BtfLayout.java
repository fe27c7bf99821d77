package io.bpf4j.core.btf;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Sizes and alignments of BTF types as the C compiler lays them out on a 64-bit target. Walks are bounded, so a
 * malformed table with a reference cycle yields a {@link BtfException}, not a stack overflow.
 */
final class BtfLayout {
    /** Deeper nesting than this is a cycle in practice (C types in vmlinux nest fewer than 20 levels). */
    static final int MAX_DEPTH = 64;
    static final int POINTER_SIZE = 8;

    private BtfLayout() {
    }

    /** Skips modifiers (and typedefs when {@code typedefs}) from {@code id}. */
    static int skip(Btf btf, int id, boolean typedefs) {
        for (int depth = 0; depth < MAX_DEPTH; depth++) {
            BtfType t = btf.type(id);
            if (t instanceof BtfType.Modifier m) id = m.type();
            else if (typedefs && t instanceof BtfType.Typedef td) id = td.type();
            else return id;
        }
        throw new BtfException("BTF type chain from [" + id + "] is longer than " + MAX_DEPTH
                + " typedefs and modifiers: a reference cycle?");
    }

    static long sizeOf(Btf btf, int id) {
        return sizeOf(btf, id, 0);
    }

    private static long sizeOf(Btf btf, int id, int depth) {
        if (depth > MAX_DEPTH) throw cycle(id);
        int r = skip(btf, id, true);
        BtfType t = btf.type(r);
        return switch (t) {
            case BtfType.Int i -> Integer.toUnsignedLong(i.size());
            case BtfType.Ptr p -> POINTER_SIZE;
            case BtfType.Composite c -> Integer.toUnsignedLong(c.size());
            case BtfType.Enum e -> Integer.toUnsignedLong(e.size());
            case BtfType.Enum64 e -> Integer.toUnsignedLong(e.size());
            case BtfType.Float f -> Integer.toUnsignedLong(f.size());
            case BtfType.Datasec d -> Integer.toUnsignedLong(d.size());
            case BtfType.Var v -> sizeOf(btf, v.type(), depth + 1);
            case BtfType.Array a -> {
                long elem = sizeOf(btf, a.type(), depth + 1);
                long n = Integer.toUnsignedLong(a.count());
                if (elem != 0 && n > Long.MAX_VALUE / elem)
                    throw new BtfException("BTF array [" + r + "] is too large: " + n + " × " + elem + " bytes");
                yield elem * n;
            }
            default -> throw new BtfException("BTF type [" + r + "] (" + t.kind() + " '" + t.name()
                    + "') has no size");
        };
    }

    static int alignOf(Btf btf, int id) {
        return alignOf(btf, id, 0);
    }

    private static int alignOf(Btf btf, int id, int depth) {
        if (depth > MAX_DEPTH) throw cycle(id);
        int r = skip(btf, id, true);
        BtfType t = btf.type(r);
        return switch (t) {
            case BtfType.Int i -> natural(i.size());
            case BtfType.Float f -> natural(f.size());
            case BtfType.Enum e -> natural(e.size());
            case BtfType.Enum64 e -> natural(e.size());
            case BtfType.Ptr p -> POINTER_SIZE;
            case BtfType.Array a -> alignOf(btf, a.type(), depth + 1);
            case BtfType.Var v -> alignOf(btf, v.type(), depth + 1);
            case BtfType.Composite c -> {
                // memoized: nested structs are shared, and re-walking them is exponential in the worst case
                int known = btf.alignCache(r);
                if (known != 0) yield known;
                int a = compositeAlign(btf, c, depth);
                btf.alignCache(r, a);
                yield a;
            }
            default -> throw new BtfException("BTF type [" + r + "] (" + t.kind() + " '" + t.name()
                    + "') has no alignment");
        };
    }

    /** Scalars align to their size, up to the 8 bytes of the largest register (so __int128 aligns to 8). */
    private static int natural(int size) {
        return size <= 0 ? 1 : Math.min(Integer.highestOneBit(size), POINTER_SIZE);
    }

    /**
     * The largest member alignment, or 1 when the layout shows the composite is packed: a non-bitfield member
     * that is not at a multiple of its alignment, or a size that is not a multiple of the alignment.
     */
    private static int compositeAlign(Btf btf, BtfType.Composite c, int depth) {
        int max = 1;
        for (BtfType.Member m : c.members()) {
            int a = alignOf(btf, m.type(), depth + 1);
            if (!isBitfield(btf, m) && Integer.toUnsignedLong(m.bitOffset()) % (8L * a) != 0) return 1;
            max = Math.max(max, a);
        }
        return Integer.toUnsignedLong(c.size()) % max == 0 ? max : 1;
    }

    /** Whether a member is a bitfield: a bitfield size, or (kind_flag 0 encoding) an INT narrower than its size. */
    static boolean isBitfield(Btf btf, BtfType.Member m) {
        if (m.bitfieldSize() != 0) return true;
        return btf.type(skip(btf, m.type(), true)) instanceof BtfType.Int i
                && (i.offset() != 0 || i.bits() != i.size() * 8);
    }

    /** True when the composite must be declared {@code __attribute__((packed))} to get its BTF layout. */
    static boolean isPacked(Btf btf, BtfType.Composite c) {
        if (c.members().isEmpty()) return false;
        return compositeAlign(btf, c, 0) == 1 && naturalMax(btf, c) > 1;
    }

    private static int naturalMax(Btf btf, BtfType.Composite c) {
        int max = 1;
        for (BtfType.Member m : c.members()) max = Math.max(max, alignOf(btf, m.type(), 1));
        return max;
    }

    /** See {@link Btf#memoryLayout}. */
    static MemoryLayout memoryLayout(Btf btf, int id) {
        return memoryLayout(btf, id, 0);
    }

    private static MemoryLayout memoryLayout(Btf btf, int id, int depth) {
        if (depth > MAX_DEPTH) throw cycle(id);
        int r = skip(btf, id, true);
        BtfType t = btf.type(r);
        ByteOrder order = btf.order();
        return switch (t) {
            case BtfType.Int i -> integer(i.size(), r, order);
            case BtfType.Enum e -> integer(e.size(), r, order);
            case BtfType.Enum64 e -> integer(e.size(), r, order);
            case BtfType.Ptr p -> ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order);
            case BtfType.Float f when f.size() == 4 -> ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order);
            case BtfType.Float f when f.size() == 8 -> ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order);
            case BtfType.Array a -> MemoryLayout.sequenceLayout(Integer.toUnsignedLong(a.count()),
                    memoryLayout(btf, a.type(), depth + 1));
            case BtfType.Struct s -> {
                List<MemoryLayout> members = new ArrayList<>();
                long at = 0;
                List<BtfType.Member> byOffset = new ArrayList<>(s.members());
                byOffset.sort(Comparator.comparingLong(m -> Integer.toUnsignedLong(m.bitOffset())));
                for (BtfType.Member m : byOffset) {
                    long bits = Integer.toUnsignedLong(m.bitOffset());
                    // a bitfield has no byte layout: the bytes it shares with its neighbours stay padding
                    if (isBitfield(btf, m) || bits % 8 != 0 || bits / 8 < at) continue;
                    if (bits / 8 > at) members.add(MemoryLayout.paddingLayout(bits / 8 - at));
                    MemoryLayout l = memoryLayout(btf, m.type(), depth + 1);
                    members.add(m.name().isEmpty() ? l : l.withName(m.name()));
                    at = bits / 8 + l.byteSize();
                }
                long size = Integer.toUnsignedLong(s.size());
                if (size > at) members.add(MemoryLayout.paddingLayout(size - at));
                yield MemoryLayout.structLayout(members.toArray(MemoryLayout[]::new));
            }
            case BtfType.Union u -> {
                List<MemoryLayout> members = new ArrayList<>();
                for (BtfType.Member m : u.members()) {
                    if (isBitfield(btf, m)) continue;
                    MemoryLayout l = memoryLayout(btf, m.type(), depth + 1);
                    members.add(m.name().isEmpty() ? l : l.withName(m.name()));
                }
                long size = Integer.toUnsignedLong(u.size());
                // the union's size as BTF gives it, whatever its members: a padding member makes up the difference
                if (size > 0) members.add(MemoryLayout.paddingLayout(size));
                yield MemoryLayout.unionLayout(members.toArray(MemoryLayout[]::new));
            }
            default -> throw new BtfException("BTF type [" + r + "] (" + t.kind() + " '" + t.name()
                    + "') has no memory layout");
        };
    }

    /** An integer of {@code size} bytes; __int128 as 16 bytes, which no Java primitive holds. */
    private static MemoryLayout integer(int size, int id, ByteOrder order) {
        return switch (size) {
            case 1 -> ValueLayout.JAVA_BYTE;
            case 2 -> ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order);
            case 4 -> ValueLayout.JAVA_INT_UNALIGNED.withOrder(order);
            case 8 -> ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order);
            case 16 -> MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE);
            default -> throw new BtfException("BTF integer type [" + id + "] has " + size + " bytes: no memory layout");
        };
    }

    private static BtfException cycle(int id) {
        return new BtfException("BTF type [" + id + "] nests deeper than " + MAX_DEPTH + " levels: a reference cycle?");
    }
}
