package io.bpf4j.core.btf;

import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.object.ObjectSpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Robustness: {@code .BTF.ext} mutated and truncated from real clang output (func info, line info and CO-RE
 * records) never throws anything but {@link BtfException}, and what parses can be read in full.
 */
@AddLifecycleHook(Fixtures.NeedsClang.class)
class BtfExtFuzzTest {
    private static final AtomicLong TRIED = new AtomicLong(), PARSED = new AtomicLong();
    private static final Btf BTF;
    private static final byte[] EXT;
    private static final int[] INTERESTING = {0, 1, 3, 4, 7, 8, 12, 16, 24, 32, 0x7f, 0xff, 0xffff, 0x7fffffff,
            0x80000000, 0xffffffff, 0xeb9f, 13};

    static {
        ObjectSpec spec = ObjectSpec.read(Fixtures.object("btfext_core"));
        BTF = Btf.parse(spec.btf());
        EXT = spec.btfExt();
    }

    record Mutation(int kind, int position, int value) {
    }

    @Provide
    Arbitrary<byte[]> mutatedExt() {
        Arbitrary<Mutation> mutation = Combinators.combine(Arbitraries.integers().between(0, 4),
                Arbitraries.integers().between(0, Integer.MAX_VALUE),
                Arbitraries.oneOf(Arbitraries.of(Arrays.stream(INTERESTING).boxed().toList()), Arbitraries.integers()))
                .as(Mutation::new);
        return mutation.list().ofMinSize(1).ofMaxSize(5).map(BtfExtFuzzTest::apply);
    }

    static byte[] apply(List<Mutation> mutations) {
        byte[] b = EXT.clone();
        for (Mutation m : mutations) {
            if (b.length == 0) break;
            int pos = m.position() % b.length;
            ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            switch (m.kind()) {
                case 0 -> b[pos] = (byte) m.value();
                case 1 -> {
                    int at = pos & ~3;
                    if (at + 4 <= b.length) buf.putInt(at, m.value());
                }
                case 2 -> b = Arrays.copyOf(b, pos);
                case 3 -> { // a header field: offsets and lengths of the three blocks
                    if (b.length >= 32) buf.putInt(4 + 4 * (pos % 7), m.value());
                }
                default -> b[pos] ^= (byte) (1 << (m.value() & 7));
            }
        }
        return b;
    }

    @Property(tries = 20_000)
    void mutatedExtOnlyEverThrowsBtfException(@ForAll("mutatedExt") byte[] data) {
        TRIED.incrementAndGet();
        BtfExt ext;
        try {
            ext = BtfExt.parse(data, BTF);
        } catch (BtfException expected) {
            return;
        }
        PARSED.incrementAndGet();
        for (String s : ext.sections()) {
            ext.funcInfo(s).forEach(f -> BTF.type(f.typeId()));
            ext.lineInfo(s).forEach(l -> l.location());
            for (BtfExt.CoreRelocation r : ext.coreRelocations(s)) {
                BTF.type(r.typeId());
                try {
                    r.accessPath();
                } catch (BtfException fine) {
                    // a mutated access string need not be numbers
                }
            }
            ext.lineAt(s, 64);
        }
        ext.toString();
    }

    @AfterContainer
    static void report() {
        System.out.println("BtfExtFuzzTest: " + TRIED.get() + " mutated .BTF.ext tried, " + PARSED.get() + " parsed");
    }
}
