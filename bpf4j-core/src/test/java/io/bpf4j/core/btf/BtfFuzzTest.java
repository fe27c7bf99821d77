package io.bpf4j.core.btf;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Robustness: BTF mutated and truncated from real clang output never crashes the parser or anything built on it,
 * and never throws anything but {@link BtfException}. Counts what it tried.
 */
class BtfFuzzTest {
    private static final AtomicLong TRIED = new AtomicLong(), PARSED = new AtomicLong();
    private static final byte[] KINDS = BtfTestData.kinds();
    /** The same types, big-endian: the other branch of the magic check. */
    private static final byte[] KINDS_BE = BtfWriter.encode(Btf.parse(KINDS).types(), ByteOrder.BIG_ENDIAN, 1, null);
    private static final int[] INTERESTING = {0, 1, 2, 3, 4, 7, 8, 12, 24, 57, 58, 59, 0x7f, 0xff, 0x100, 0xffff,
            0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0x1f000000, 0x84000003, 0x0d00ffff, 0xeb9f};

    /** One mutation: where, what. */
    record Mutation(int kind, int position, int value) {
    }

    @Provide
    Arbitrary<byte[]> mutatedBtf() {
        Arbitrary<Mutation> mutation = net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, 5),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.oneOf(Arbitraries.of(java.util.Arrays.stream(INTERESTING).boxed().toList()),
                        Arbitraries.integers())).as(Mutation::new);
        return net.jqwik.api.Combinators.combine(Arbitraries.of(true, false), mutation.list().ofMinSize(1).ofMaxSize(6))
                .as((le, ms) -> apply(le ? KINDS : KINDS_BE, ms));
    }

    static byte[] apply(byte[] seed, List<Mutation> mutations) {
        byte[] b = seed.clone();
        ByteOrder order = b == KINDS || (b[0] & 0xff) == 0x9f ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        for (Mutation m : mutations) {
            if (b.length == 0) break;
            ByteBuffer buf = ByteBuffer.wrap(b).order(order);
            int pos = m.position() % b.length;
            switch (m.kind()) {
                case 0 -> b[pos] = (byte) m.value(); // one byte
                case 1 -> { // an aligned u32 (most BTF fields): ids, offsets, info words, sizes
                    int at = pos & ~3;
                    if (at + 4 <= b.length) buf.putInt(at, m.value());
                }
                case 2 -> b = java.util.Arrays.copyOf(b, pos); // truncate
                case 3 -> { // truncate and fix the header so the cut falls inside the sections, not at the header
                    b = java.util.Arrays.copyOf(b, Math.max(24, pos));
                    if (b.length >= 24) {
                        ByteBuffer h = ByteBuffer.wrap(b).order(order);
                        int body = b.length - 24;
                        int typeLen = Math.min(h.getInt(12), body);
                        h.putInt(12, typeLen).putInt(16, typeLen).putInt(20, body - typeLen);
                    }
                }
                case 4 -> { // a header field
                    if (b.length >= 24) buf.putInt(4 + 4 * (pos % 5), m.value());
                }
                default -> b[pos] ^= (byte) (1 << (m.value() & 7)); // one bit
            }
        }
        return b;
    }

    @Property(tries = 20_000)
    void mutatedBtfOnlyEverThrowsBtfException(@ForAll("mutatedBtf") byte[] data) {
        TRIED.incrementAndGet();
        Btf btf;
        try {
            btf = Btf.parse(data);
        } catch (BtfException e) {
            assertThat(e.getMessage()).startsWith("malformed BTF at byte ");
            assertThat(e.format()).isEqualTo("BTF");
            return;
        }
        PARSED.incrementAndGet();
        exercise(btf);
    }

    /** Everything a parsed table offers must work or say BtfException: lookups, layout, raw dump, C, encoding. */
    static void exercise(Btf btf) {
        StringBuilder sb = new StringBuilder();
        for (int id = 0; id < btf.nextTypeId(); id++) {
            BtfType t = btf.type(id);
            int i = id;
            assertThat(t).isNotNull();
            sb.append(btf.describe(id));
            for (Runnable r : List.<Runnable>of(() -> btf.sizeOf(i), () -> btf.alignOf(i),
                    () -> btf.resolve(i))) {
                try {
                    r.run();
                } catch (BtfException expected) {
                    assertThat(expected.getMessage()).isNotBlank();
                }
            }
            if (!t.name().isEmpty()) assertThat(btf.typeIds(t.name())).contains(id);
        }
        try {
            assertThat(BtfCHeader.of(btf)).contains("#endif");
        } catch (BtfException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
        byte[] encoded;
        try {
            encoded = btf.encode();
        } catch (BtfException expected) { // e.g. a bitfield member whose offset does not fit 24 bits
            assertThat(expected.getMessage()).startsWith("cannot encode");
            return;
        }
        assertThat(Btf.parse(encoded).types()).isEqualTo(btf.types());
    }

    @AfterContainer
    static void report() {
        System.out.printf("BTF fuzz: %d mutated inputs tried, %d of them parsed (and were exercised: lookups, "
                + "layout, raw dump, C header, encode round trip), the rest rejected with BtfException%n",
                TRIED.get(), PARSED.get());
    }
}
