package io.bpf4j.core.elf;

import io.bpf4j.core.object.ObjectSpec;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.AfterContainer;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Feeds damaged copies of the real clang-compiled fixtures to the ELF reader and the object parser: bytes flipped,
 * header fields overwritten, the file cut short. Whatever happens, the only exception allowed is
 * {@link ElfException}.
 */
@AddLifecycleHook(Fixtures.NeedsClang.class)
class ElfFuzzTest {
    private static final List<String> FIXTURES = Fixtures.names();
    private static final AtomicLong TRIED = new AtomicLong();
    private static final AtomicLong PARSED = new AtomicLong();

    /** One mutation: a fixture, some (offset, value) overwrites and an optional cut. */
    record Damage(int fixture, List<int[]> writes, int keep) {
        byte[] apply() {
            byte[] original = Fixtures.bytes(FIXTURES.get(fixture));
            byte[] b = java.util.Arrays.copyOf(original, Math.min(original.length, Math.max(0, keep)));
            for (int[] w : writes) {
                if (b.length > 0) b[Math.floorMod(w[0], b.length)] = (byte) w[1];
            }
            return b;
        }
    }

    @Provide
    Arbitrary<Damage> damage() {
        Arbitrary<Integer> fixture = Arbitraries.integers().between(0, FIXTURES.size() - 1);
        // offsets biased to the ELF header and the section headers at the end of the file, where damage matters
        Arbitrary<int[]> write = Combinators.combine(
                Arbitraries.oneOf(Arbitraries.integers().between(0, 63), Arbitraries.integers().between(-2000, -1),
                        Arbitraries.integers().between(0, 20000)),
                Arbitraries.oneOf(Arbitraries.integers().between(0, 255), Arbitraries.of(0, 0xff, 0x7f, 0x80, 1)))
                .as((o, v) -> new int[] {o, v});
        Arbitrary<Integer> keep = Arbitraries.oneOf(Arbitraries.just(Integer.MAX_VALUE),
                Arbitraries.integers().between(0, 20000));
        return Combinators.combine(fixture, write.list().ofMinSize(0).ofMaxSize(8), keep).as(Damage::new);
    }

    @Property(tries = 3000)
    void damagedObjectsFailOnlyWithElfException(@ForAll("damage") Damage damage) {
        byte[] bytes = damage.apply();
        TRIED.incrementAndGet();
        try {
            ElfFile elf = ElfFile.parse(bytes);
            for (ElfSection s : elf.sections()) {
                elf.data(s);
                if (s.isRelocations()) elf.relocations(s);
                if (s.type() == ElfSection.SHT_NOTE) elf.notes(s);
            }
            ObjectSpec.parse(bytes);
            PARSED.incrementAndGet();
        } catch (ElfException expected) {
            if (expected.getMessage() == null || expected.getMessage().isBlank()) {
                throw new AssertionError("an ElfException without a message", expected);
            }
        }
    }

    @Property(tries = 1000)
    void everyTruncationFailsOnlyWithElfException(@ForAll("fixtureAndCut") int[] fixtureAndCut) {
        byte[] original = Fixtures.bytes(FIXTURES.get(fixtureAndCut[0]));
        byte[] cut = java.util.Arrays.copyOf(original, Math.floorMod(fixtureAndCut[1], original.length));
        TRIED.incrementAndGet();
        try {
            ObjectSpec.parse(cut);
            PARSED.incrementAndGet();
        } catch (ElfException expected) {
            // the only acceptable failure
        }
    }

    @Provide
    Arbitrary<int[]> fixtureAndCut() {
        return Combinators.combine(Arbitraries.integers().between(0, FIXTURES.size() - 1),
                Arbitraries.integers().between(0, Integer.MAX_VALUE)).as((f, c) -> new int[] {f, c});
    }

    @AfterContainer
    static void report() {
        System.out.println("ElfFuzzTest: tried " + TRIED.get() + " damaged inputs; " + PARSED.get()
                + " still parsed as BPF objects, every other one failed with ElfException");
    }
}
