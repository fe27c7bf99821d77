package io.bpf4j.core.events;

import io.bpf4j.core.Await;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Program;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One event stream over a ring buffer and a perf buffer of a real object (src/test/c/event_stream.bpf.c): each
 * BPF_PROG_TEST_RUN of its program sends one numbered event to both. Nothing here waits for a time to pass: the
 * tests wait for what they can observe (records counted, the stream's thread asleep in epoll_wait).
 */
@KernelTest
class EventStreamTest {
    static final int MAGIC = 0x0bf4_face;
    /** One event in the one-page ring buffer: 8-byte header and the 16-byte struct. */
    static final int RING_RECORD = 24;
    static final int PAGE = (int) Host.pageSize();

    record Event(long seq, int cpu, int magic) {
    }

    private static ObjectSpec spec;
    private static Btf btf;

    @BeforeAll
    static void read() {
        assumeTrue(Host.isRoot(), "loading programs needs root");
        ObjectSpec read = ObjectSpec.read(Fixtures.object("event_stream"));
        spec = read.withMap(read.map("ring").orElseThrow().withMaxEntries(PAGE));
        btf = Btf.parse(spec.btf());
    }

    /** Runs the program {@code times} times on CPU 0: its perf samples all go to CPU 0's ring. */
    static void emit(BpfObject obj, int times) {
        TestRun onCpu0 = TestRun.withContext(new byte[8]).onCpu(0);
        for (int i = 0; i < times; i++) obj.program("emit").testRun(onCpu0);
    }

    @Test
    void recordsOfBothBuffersReachTheirActionsDecoded() throws Exception {
        List<Event> fromRing = Collections.synchronizedList(new ArrayList<>());
        List<BtfRecord> fromPerf = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger batches = new AtomicInteger();
        try (BpfObject obj = BpfObject.load(spec); EventStream stream = new EventStream()) {
            stream.onRecord(obj.map("ring"), RecordMapper.of(btf, "event", Event.class), fromRing::add)
                    .onRecord(obj.map("perf"), RecordDecoder.forStruct(btf, "event"), fromPerf::add)
                    .onFlush(batches::incrementAndGet);
            CompletableFuture<Void> done = stream.startAsync();
            Await.blockedInEpoll("bpf4j-event-stream");
            emit(obj, 100);
            Await.until("100 records from each buffer", () -> fromRing.size() == 100 && fromPerf.size() == 100);
            stream.close(); // from this thread, while the stream runs on its own
            done.get(Await.TIMEOUT_S, TimeUnit.SECONDS);
            assertThat(stream.lostCount()).isZero();
        }
        assertThat(fromRing).extracting(Event::seq).containsExactlyElementsOf(
                LongStream.range(0, 100).boxed().toList()); // a ring buffer keeps the order of reservation
        assertThat(fromRing).allSatisfy(e -> assertThat(e.magic()).isEqualTo(MAGIC));
        assertThat(fromPerf).extracting(r -> r.getLong("seq")).containsExactlyElementsOf(
                LongStream.range(0, 100).boxed().toList()); // one CPU's ring: in order too
        assertThat(fromPerf).allSatisfy(r -> assertThat(r.getLong("cpu")).isZero());
        assertThat(batches.get()).isPositive();
    }

    @Test
    void aPeriodicFlushSeesEveryRecordWrittenBeforeIt() {
        List<Long> seen = new ArrayList<>();
        List<Integer> atFlush = new ArrayList<>();
        try (BpfObject obj = BpfObject.load(spec); EventStream stream = new EventStream()) {
            stream.onRecord(obj.map("ring"), (cpu, rec) -> seen.add(rec.get(java.lang.foreign.ValueLayout
                    .JAVA_LONG_UNALIGNED, 0)));
            emit(obj, 10); // the reader is open: the stream sees them whenever it starts
            stream.onFlush(Duration.ofMillis(1), () -> {
                atFlush.add(seen.size());
                stream.stop();
            });
            assertThat(stream.start(Duration.ofSeconds(Await.TIMEOUT_S))).as("ended by the flush's stop()").isTrue();
        }
        assertThat(atFlush).containsExactly(10);
        assertThat(seen).hasSize(10);
    }

    @Test
    void lossesOfBothBuffersAreCountedAndReported() {
        List<EventStream.Loss> losses = new ArrayList<>();
        int[] ring = new int[1], perf = new int[1];
        try (BpfObject obj = BpfObject.load(spec); EventStream stream = new EventStream()) {
            stream.onRecord(obj.map("ring"), (cpu, rec) -> ring[0]++)
                    .onRecord(obj.map("perf"), (cpu, rec) -> perf[0]++)
                    .lossCounter(obj.map("ring_lost"))
                    .onLost(losses::add);
            // Nobody reads while these are written: the one-page ring buffer takes PAGE / 24 of them and the
            // program counts the rest; CPU 0's perf ring (8 pages of 32-byte samples) takes about a thousand.
            emit(obj, 3000);
            stream.drain();
            int ringHeld = PAGE / RING_RECORD;
            assertThat(ring[0]).isEqualTo(ringHeld);
            assertThat(losses).containsExactly(new EventStream.Loss("ring_lost", 0, 3000 - ringHeld));
            // The kernel reports a perf ring's loss with the next sample that finds room.
            emit(obj, 1);
            stream.drain();
            assertThat(ring[0]).isEqualTo(ringHeld + 1);
            assertThat(losses).hasSize(2);
            EventStream.Loss perfLoss = losses.get(1);
            assertThat(perfLoss.map()).isEqualTo("perf");
            assertThat(perfLoss.cpu()).isZero();
            assertThat(perfLoss.count()).isPositive().isEqualTo(3001 - perf[0]);
            assertThat(stream.lostCount()).isEqualTo(3000 - ringHeld + perfLoss.count());
        }
    }

    @Test
    void closeFromAnotherThreadEndsStart() throws Exception {
        try (BpfObject obj = BpfObject.load(spec)) {
            EventStream stream = new EventStream();
            stream.onRecord(obj.map("ring"), (cpu, rec) -> { });
            CompletableFuture<Void> started = new CompletableFuture<>();
            Thread.ofPlatform().name("es-close-test").start(() -> {
                try {
                    stream.start();
                    started.complete(null);
                } catch (Throwable t) {
                    started.completeExceptionally(t);
                }
            });
            Await.blockedInEpoll("es-close-test");
            stream.close();
            started.get(Await.TIMEOUT_S, TimeUnit.SECONDS);
            assertThat(stream.isStopped()).isTrue();
            stream.close(); // idempotent
            assertThatThrownBy(stream::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
            assertThatThrownBy(() -> stream.onRecord(obj.map("perf"), (cpu, rec) -> { }))
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void closeFromAnActionEndsStartAndReleasesTheStream() {
        try (BpfObject obj = BpfObject.load(spec)) {
            EventStream stream = new EventStream();
            int[] seen = new int[1];
            stream.onRecord(obj.map("ring"), (cpu, rec) -> {
                seen[0]++;
                stream.close(); // on the stream's own thread: released when start() returns
            });
            emit(obj, 3);
            stream.start();
            assertThat(seen[0]).as("what the buffer held is still delivered").isEqualTo(3);
            assertThatThrownBy(stream::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void aDurationEndsItAndAStopIsFinal() {
        try (BpfObject obj = BpfObject.load(spec); EventStream stream = new EventStream()) {
            stream.onRecord(obj.map("ring"), (cpu, rec) -> { });
            assertThat(stream.start(Duration.ofMillis(1))).as("ended by its duration").isFalse();
            stream.stop();
            assertThat(stream.start(Duration.ofDays(1))).as("stopped before it started").isTrue();
        }
    }

    @Test
    void oneStreamReadsSeveralRingsEachToItsAction() {
        List<Long> first = new ArrayList<>(), second = new ArrayList<>();
        try (BpfMap seq = RingBufferTest.sequence();
             BpfMap a = BpfMap.create(MapSpec.ringBuffer("rb_a", PAGE));
             BpfMap b = BpfMap.create(MapSpec.ringBuffer("rb_b", 4 * PAGE));
             Program both = RingBufferTest.outputProgram(seq, a, b);
             Program onlyB = RingBufferTest.outputProgram(seq, b);
             EventStream stream = new EventStream()) {
            stream.onRecord(a, (cpu, r) -> first.add(RingBufferTest.check(r)))
                    .onRecord(b, (cpu, r) -> second.add(RingBufferTest.check(r)));
            RingBufferTest.run(both, 100);
            stream.drain();
            RingBufferTest.run(onlyB, 7);
            stream.drain();
        }
        assertThat(first).hasSize(100);
        assertThat(second).hasSize(107);
        assertThat(second.subList(0, 100)).isEqualTo(first);
    }

    @Test
    void onlyRingAndPerfBuffersCarryRecords() {
        try (BpfMap array = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("es_array").keySize(4).valueSize(8)
                .maxEntries(1).build()); EventStream stream = new EventStream()) {
            assertThatThrownBy(() -> stream.onRecord(array, (cpu, rec) -> { }))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("map 'es_array' is a array map, not a ring buffer or perf event array: it has no "
                            + "records to stream");
        }
    }
}
