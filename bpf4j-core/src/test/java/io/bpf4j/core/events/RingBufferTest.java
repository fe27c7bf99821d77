package io.bpf4j.core.events;

import io.bpf4j.core.Await;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Program;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static io.bpf4j.core.asm.Register.R4;
import static io.bpf4j.core.asm.Register.R7;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Ring buffer reading against the kernel: XDP programs run by BPF_PROG_TEST_RUN write records of 12 bytes
 * (a sequence number from an array map, then a magic word), so a record occupies 24 bytes of ring (8-byte
 * header, 4 bytes of padding) and records straddle the end of a one-page ring.
 */
@KernelTest
class RingBufferTest {
    static final int MAGIC = 0x0bf4_face;
    static final int RECORD = 12;
    static final int PAGE = (int) Host.pageSize();

    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "loading programs needs root");
    }

    static BpfMap sequence() {
        return BpfMap.create(MapSpec.builder(MapType.ARRAY).name("rb_seq").keySize(4).valueSize(8).maxEntries(1)
                .build());
    }

    /** r7 = seq[0]++ (atomically); jumps to "out" if the lookup fails. */
    static Assembler nextSequence(Assembler a, BpfMap seq) {
        return a.loadMapFd(R1, seq)
                .stW(R10, -4, 0)
                .mov64(R2, R10)
                .add64(R2, -4)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(R0, 0, "out")
                .mov64(R7, 1)
                .atomicFetchAdd(Size.DW, R0, 0, R7);
    }

    /** Each run: bpf_ringbuf_output(rings[i], {seq, MAGIC}, 12, 0) for every ring. */
    static Program outputProgram(BpfMap seq, BpfMap... rings) {
        Assembler a = nextSequence(new Assembler(), seq)
                .stxDW(R10, -24, R7)
                .stW(R10, -16, MAGIC);
        for (BpfMap ring : rings) {
            a.loadMapFd(R1, ring).mov64(R2, R10).add64(R2, -24).mov64(R3, RECORD).mov64(R4, 0)
                    .call(Helper.RINGBUF_OUTPUT);
        }
        return Program.load(ProgramSpec.of("bpf4j_rb_out", ProgramType.XDP,
                a.label("out").mov64(R0, 2).exit().build()));
    }

    /** Each run: reserves a record, fills it, and discards it when the sequence number is odd. */
    static Program discardOddProgram(BpfMap seq, BpfMap ring) {
        Assembler a = nextSequence(new Assembler(), seq)
                .loadMapFd(R1, ring).mov64(R2, RECORD).mov64(R3, 0).call(Helper.RINGBUF_RESERVE)
                .jeq(R0, 0, "out")
                .stxDW(R0, 0, R7)
                .stW(R0, 8, MAGIC)
                .mov64(R1, R0)
                .mov64(R2, 0)
                .jset(R7, 1, "discard")
                .call(Helper.RINGBUF_SUBMIT)
                .ja("out")
                .label("discard")
                .call(Helper.RINGBUF_DISCARD);
        return Program.load(ProgramSpec.of("bpf4j_rb_discard", ProgramType.XDP,
                a.label("out").mov64(R0, 2).exit().build()));
    }

    static void run(Program p, int times) {
        p.testRun(TestRun.withData(new byte[64]).repeat(times));
    }

    /** Checks a record's bytes and returns its sequence number. */
    static long check(MemorySegment record) {
        assertThat(record.byteSize()).isEqualTo(RECORD);
        assertThat(record.get(JAVA_INT_UNALIGNED, 8)).isEqualTo(MAGIC);
        return record.get(JAVA_LONG_UNALIGNED, 0);
    }

    @Test
    void readsExactlyTheRecordsWrittenWithTheirBytes() {
        List<Long> seen = new ArrayList<>();
        try (BpfMap seq = sequence();
             BpfMap events = BpfMap.create(MapSpec.ringBuffer("rb_events", 16 * PAGE));
             Program p = outputProgram(seq, events);
             RingBuffer ring = RingBuffer.open(events, r -> seen.add(check(r)))) {
            assertThat(ring.size()).isEqualTo(16L * PAGE);
            assertThat(ring.consume()).isZero();
            run(p, 1000);
            assertThat(ring.available()).isEqualTo(1000L * 24);
            assertThat(ring.poll(Duration.ofSeconds(1))).isEqualTo(1000);
            assertThat(ring.consume()).isZero();
            assertThat(ring.available()).isZero();
            assertThat(ring.recordCount()).isEqualTo(1000);
        }
        assertThat(seen).hasSize(1000);
        for (int i = 0; i < seen.size(); i++) assertThat(seen.get(i)).isEqualTo(i);
    }

    @Test
    void copyingHandlerKeepsBytesAndZeroCopyViewIsReadOnly() {
        List<byte[]> copies = new ArrayList<>();
        List<MemorySegment> views = new ArrayList<>();
        try (BpfMap seq = sequence();
             BpfMap events = BpfMap.create(MapSpec.ringBuffer("rb_events", PAGE));
             Program p = outputProgram(seq, events)) {
            try (RingBuffer ring = RingBuffer.open(events, RecordHandler.copying(copies::add))) {
                run(p, 3);
                assertThat(ring.consume()).isEqualTo(3);
            }
            try (RingBuffer ring = RingBuffer.open(events, views::add)) {
                run(p, 1);
                assertThat(ring.consume()).isEqualTo(1);
                assertThatThrownBy(() -> views.getFirst().set(JAVA_INT_UNALIGNED, 0, 1))
                        .hasMessageContaining("read-only");
            }
            // Once the reader is closed, a view kept by mistake fails instead of reading unmapped memory.
            assertThatThrownBy(() -> views.getFirst().get(JAVA_INT_UNALIGNED, 0))
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThat(copies).hasSize(3);
        for (int i = 0; i < 3; i++) {
            MemorySegment s = MemorySegment.ofArray(copies.get(i));
            assertThat(check(s)).isEqualTo(i);
        }
    }

    @Test
    void wrapsAroundASmallRing() {
        List<Long> seen = new ArrayList<>();
        try (BpfMap seq = sequence();
             BpfMap events = BpfMap.create(MapSpec.ringBuffer("rb_small", PAGE)); // 170 records fit
             Program p = outputProgram(seq, events);
             RingBuffer ring = RingBuffer.open(events, r -> seen.add(check(r)))) {
            for (int round = 0; round < 30; round++) {
                run(p, 100);
                assertThat(ring.consume()).as("round %d", round).isEqualTo(100);
            }
        }
        // 3000 × 24 bytes went through a 4096-byte ring: 17 wraps, with records cut by the end of the ring.
        assertThat(seen).hasSize(3000);
        for (int i = 0; i < seen.size(); i++) assertThat(seen.get(i)).isEqualTo(i);
    }

    @Test
    void fullRingRefusesRecordsInTheProgramNotSilentlyInTheReader() {
        List<Long> seen = new ArrayList<>();
        try (BpfMap seq = sequence();
             BpfMap events = BpfMap.create(MapSpec.ringBuffer("rb_full", PAGE));
             Program p = outputProgram(seq, events);
             RingBuffer ring = RingBuffer.open(events, r -> seen.add(check(r)))) {
            run(p, 500);
            int n = ring.consume();
            assertThat(n).isEqualTo(PAGE / 24); // what fit; the program saw -EAGAIN for the rest
            run(p, 10);
            assertThat(ring.consume()).isEqualTo(10);
        }
        assertThat(seen.subList(0, PAGE / 24)).isEqualTo(java.util.stream.LongStream.range(0, PAGE / 24).boxed()
                .toList());
    }

    @Test
    void discardedRecordsAreSkippedAndCounted() {
        List<Long> seen = new ArrayList<>();
        try (BpfMap seq = sequence();
             BpfMap events = BpfMap.create(MapSpec.ringBuffer("rb_discard", PAGE));
             Program p = discardOddProgram(seq, events);
             RingBuffer ring = RingBuffer.open(events, r -> seen.add(check(r)))) {
            for (int round = 0; round < 10; round++) {
                run(p, 100);
                assertThat(ring.consume()).isEqualTo(50);
            }
            assertThat(ring.discardedCount()).isEqualTo(500);
            assertThat(ring.recordCount()).isEqualTo(500);
        }
        assertThat(seen).hasSize(500);
        for (int i = 0; i < seen.size(); i++) assertThat(seen.get(i)).isEqualTo(2L * i);
    }

    @Test
    void pollWakesUpWhenAProgramWritesAndTimesOutWhenNothingComes() throws Exception {
        List<Long> seen = new ArrayList<>();
        try (BpfMap seq = sequence();
             BpfMap events = BpfMap.create(MapSpec.ringBuffer("rb_wake", PAGE));
             Program p = outputProgram(seq, events);
             RingBuffer ring = RingBuffer.open(events, r -> seen.add(check(r)))) {
            long t0 = System.nanoTime();
            assertThat(ring.poll(Duration.ofMillis(50))).isZero();
            assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(40));
            CompletableFuture<Integer> polled = new CompletableFuture<>();
            Thread.ofPlatform().name("rb-wake-poller").start(() -> polled.complete(ring.poll(Duration.ofSeconds(60))));
            Await.blockedInEpoll("rb-wake-poller"); // the record must wake it, not be there already
            run(p, 1);
            assertThat(polled.get(60, TimeUnit.SECONDS)).isEqualTo(1);
        }
        assertThat(seen).containsExactly(0L);
    }

    @Test
    void handlerExceptionReachesTheCallerAndTheRecordIsConsumed() {
        List<Long> seen = new ArrayList<>();
        try (BpfMap seq = sequence();
             BpfMap events = BpfMap.create(MapSpec.ringBuffer("rb_throw", PAGE));
             Program p = outputProgram(seq, events);
             RingBuffer ring = RingBuffer.open(events, r -> {
                 long s = check(r);
                 seen.add(s);
                 if (s == 2) throw new IllegalStateException("boom at " + s);
             })) {
            run(p, 5);
            assertThatThrownBy(ring::consume).hasMessage("boom at 2");
            assertThat(ring.consume()).isEqualTo(2);
        }
        assertThat(seen).containsExactly(0L, 1L, 2L, 3L, 4L);
    }

    @Test
    void refusesAMapThatIsNotARingBuffer() {
        try (BpfMap seq = sequence()) {
            assertThatThrownBy(() -> RingBuffer.open(seq, r -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a ring buffer");
        }
    }
}
