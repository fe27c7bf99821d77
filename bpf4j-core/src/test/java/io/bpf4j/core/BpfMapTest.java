package io.bpf4j.core;

import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.asm.MapReference;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.bpf4j.core.MapTestSupport.i32;
import static io.bpf4j.core.MapTestSupport.i64;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The untyped map API against the real kernel. */
@KernelTest
class BpfMapTest {

    private static BpfMap hash(String name, int keySize, int valueSize, int maxEntries) {
        return BpfMap.builder(MapType.HASH).name(name).keySize(keySize).valueSize(valueSize).maxEntries(maxEntries)
                .build();
    }

    // ---- round trips per map type -------------------------------------------------------------------------

    @Test
    void hashRoundTripsBytes() {
        try (BpfMap m = hash("rt_hash", 4, 8, 16)) {
            assertThat(m.lookup(i32(1))).isEmpty();
            m.update(i32(1), i64(100));
            m.update(i32(2), i64(200));
            assertThat(m.lookup(i32(1))).hasValueSatisfying(v -> assertThat(i64(v)).isEqualTo(100));
            m.update(i32(1), i64(101));
            assertThat(i64(m.lookup(i32(1)).orElseThrow())).isEqualTo(101);
            assertThat(m.delete(i32(1))).isTrue();
            assertThat(m.delete(i32(1))).isFalse();
            assertThat(m.lookup(i32(1))).isEmpty();
            assertThat(i64(m.lookupAndDelete(i32(2)).orElseThrow())).isEqualTo(200);
            assertThat(m.lookup(i32(2))).isEmpty();
        }
    }

    @Test
    void segmentApiRoundTripsWithCallerMemory() {
        try (BpfMap m = hash("rt_seg", 8, 16, 16); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(8), value = arena.allocate(16), out = arena.allocate(16);
            key.set(JAVA_LONG, 0, 0xdead_beefL);
            value.set(JAVA_LONG, 0, 7);
            value.set(JAVA_LONG, 8, 9);
            assertThat(m.lookup(key, out)).isFalse();
            m.update(key, value, BpfMap.ANY);
            assertThat(m.lookup(key, out)).isTrue();
            assertThat(out.get(JAVA_LONG, 0)).isEqualTo(7);
            assertThat(out.get(JAVA_LONG, 8)).isEqualTo(9);
            assertThat(m.lookupAndDelete(key, out)).isTrue();
            assertThat(m.delete(key)).isFalse();
        }
    }

    @Test
    void updateFlagsNoexistAndExist() {
        try (BpfMap m = hash("rt_flags", 4, 4, 4)) {
            m.update(i32(1), i32(1), BpfMap.NOEXIST);
            assertThatThrownBy(() -> m.update(i32(1), i32(2), BpfMap.NOEXIST))
                    .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.is(Errno.EEXIST)).isTrue())
                    .hasMessageContaining("rt_flags").hasMessageContaining("key exists");
            m.update(i32(1), i32(3), BpfMap.EXIST);
            assertThat(i32(m.lookup(i32(1)).orElseThrow())).isEqualTo(3);
            assertThatThrownBy(() -> m.update(i32(2), i32(2), BpfMap.EXIST))
                    .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.is(Errno.ENOENT)).isTrue())
                    .hasMessageContaining("does not exist");
        }
    }

    @Test
    void arrayRoundTripsAndCannotDelete() {
        try (BpfMap m = BpfMap.builder(MapType.ARRAY).name("rt_array").valueSize(8).maxEntries(4).build()) {
            assertThat(m.keySize()).isEqualTo(4);
            assertThat(i64(m.lookup(i32(3)).orElseThrow())).isZero(); // elements always exist
            m.update(i32(3), i64(33));
            assertThat(i64(m.lookup(i32(3)).orElseThrow())).isEqualTo(33);
            assertThat(m.lookup(i32(4))).isEmpty();
            assertThatThrownBy(() -> m.update(i32(4), i64(1)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("index out of range");
            assertThatThrownBy(() -> m.delete(i32(0)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("cannot be deleted");
        }
    }

    @Test
    void perCpuArrayHasOneValuePerPossibleCpu() {
        int cpus = Cpus.possibleCount();
        try (BpfMap m = BpfMap.builder(MapType.PERCPU_ARRAY).name("rt_pcpu_a").valueSize(4).maxEntries(2).build()) {
            assertThat(m.valueBufferSize()).isEqualTo(8 * cpus); // 4 rounded up to 8, per CPU
            List<byte[]> values = IntStream.range(0, cpus).mapToObj(c -> i32(10 + c)).toList();
            m.updatePerCpu(i32(1), values, BpfMap.ANY);
            List<byte[]> back = m.lookupPerCpu(i32(1)).orElseThrow();
            assertThat(back).hasSize(cpus);
            for (int c = 0; c < cpus; c++) assertThat(i32(back.get(c))).isEqualTo(10 + c);
            assertThat(m.lookupPerCpu(i32(0)).orElseThrow()).allSatisfy(v -> assertThat(i32(v)).isZero());
        }
    }

    @Test
    void perCpuHashAndLruPerCpuHashRoundTrip() {
        int cpus = Cpus.possibleCount();
        for (MapType t : List.of(MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH)) {
            try (BpfMap m = BpfMap.builder(t).name("rt_pcpu").keySize(4).valueSize(8).maxEntries(8).build()) {
                List<byte[]> values = IntStream.range(0, cpus).mapToObj(c -> i64(1000L * (c + 1))).toList();
                m.updatePerCpu(i32(5), values, BpfMap.ANY);
                List<byte[]> back = m.lookupPerCpu(i32(5)).orElseThrow();
                assertThat(back).hasSize(cpus);
                for (int c = 0; c < cpus; c++) assertThat(i64(back.get(c))).isEqualTo(1000L * (c + 1));
                assertThat(m.lookupPerCpu(i32(6))).isEmpty();
                assertThat(m.delete(i32(5))).isTrue();
            }
        }
    }

    @Test
    void lruHashEvictsInsteadOfFailing() {
        try (BpfMap m = BpfMap.builder(MapType.LRU_HASH).name("rt_lru").keySize(4).valueSize(4).maxEntries(64)
                .build()) {
            for (int i = 0; i < 1000; i++) m.update(i32(i), i32(i * 2));
            assertThat(i32(m.lookup(i32(999)).orElseThrow())).isEqualTo(1998);
            assertThat(m.keys().count()).isBetween(1L, 64L);
        }
    }

    @Test
    void fullHashSaysSo() {
        try (BpfMap m = hash("rt_full", 4, 4, 2)) {
            m.update(i32(1), i32(1));
            m.update(i32(2), i32(2));
            assertThatThrownBy(() -> m.update(i32(3), i32(3)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("full");
        }
    }

    @Test
    void lpmTrieFindsTheLongestPrefix() {
        try (BpfMap m = BpfMap.builder(MapType.LPM_TRIE).name("rt_lpm").keySize(8).valueSize(4).maxEntries(16)
                .build()) {
            assertThat(m.flags() & MapSpec.F_NO_PREALLOC).isNotZero(); // the builder added it
            Codec<LpmKey> k = LpmKey.IPV4;
            m.update(k.toBytes(LpmKey.parse("10.0.0.0/8")), i32(8));
            m.update(k.toBytes(LpmKey.parse("10.1.0.0/16")), i32(16));
            m.update(k.toBytes(LpmKey.parse("10.1.2.0/24")), i32(24));
            assertThat(i32(m.lookup(k.toBytes(LpmKey.parse("10.1.2.3"))).orElseThrow())).isEqualTo(24);
            assertThat(i32(m.lookup(k.toBytes(LpmKey.parse("10.1.3.3"))).orElseThrow())).isEqualTo(16);
            assertThat(i32(m.lookup(k.toBytes(LpmKey.parse("10.9.9.9"))).orElseThrow())).isEqualTo(8);
            assertThat(m.lookup(k.toBytes(LpmKey.parse("11.0.0.1")))).isEmpty();
            assertThat(m.keys().map(k::fromBytes).map(LpmKey::toString).collect(Collectors.toSet()))
                    .containsExactlyInAnyOrder("10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24");
            assertThat(m.delete(k.toBytes(LpmKey.parse("10.1.2.0/24")))).isTrue();
            assertThat(i32(m.lookup(k.toBytes(LpmKey.parse("10.1.2.3"))).orElseThrow())).isEqualTo(16);
        }
    }

    @Test
    void lpmTrieIpv6() {
        try (BpfMap m = BpfMap.builder(MapType.LPM_TRIE).name("rt_lpm6").keySize(20).valueSize(4).maxEntries(4)
                .build()) {
            Codec<LpmKey> k = LpmKey.IPV6;
            m.update(k.toBytes(LpmKey.parse("2001:db8::/32")), i32(32));
            m.update(k.toBytes(LpmKey.parse("2001:db8:1::/48")), i32(48));
            assertThat(i32(m.lookup(k.toBytes(LpmKey.parse("2001:db8:1::5"))).orElseThrow())).isEqualTo(48);
            assertThat(i32(m.lookup(k.toBytes(LpmKey.parse("2001:db8:2::5"))).orElseThrow())).isEqualTo(32);
        }
    }

    @Test
    void queueIsFifoAndStackIsLifo() {
        try (BpfMap q = BpfMap.builder(MapType.QUEUE).name("rt_queue").valueSize(4).maxEntries(3).build();
             BpfMap s = BpfMap.builder(MapType.STACK).name("rt_stack").valueSize(4).maxEntries(3).build()) {
            assertThat(q.keySize()).isZero();
            for (int i = 1; i <= 3; i++) {
                q.push(i32(i));
                s.push(i32(i));
            }
            assertThat(i32(q.peek().orElseThrow())).isEqualTo(1);
            assertThat(i32(s.peek().orElseThrow())).isEqualTo(3);
            assertThatThrownBy(() -> q.push(i32(4))).isInstanceOf(BpfException.class).hasMessageContaining("full");
            q.push(i32(4), BpfMap.EXIST); // overwrites the oldest (1)
            List<Integer> fifo = new ArrayList<>(), lifo = new ArrayList<>();
            q.pop().ifPresent(b -> fifo.add(i32(b)));
            q.pop().ifPresent(b -> fifo.add(i32(b)));
            q.pop().ifPresent(b -> fifo.add(i32(b)));
            s.pop().ifPresent(b -> lifo.add(i32(b)));
            s.pop().ifPresent(b -> lifo.add(i32(b)));
            s.pop().ifPresent(b -> lifo.add(i32(b)));
            assertThat(fifo).containsExactly(2, 3, 4);
            assertThat(lifo).containsExactly(3, 2, 1);
            assertThat(q.pop()).isEmpty();
            assertThat(s.peek()).isEmpty();
        }
    }

    @Test
    void queueSegmentPushPopAllocateNothingButWork() {
        try (BpfMap q = BpfMap.builder(MapType.QUEUE).name("rt_queue_seg").valueSize(8).maxEntries(4).build();
             Arena arena = Arena.ofConfined()) {
            MemorySegment v = arena.allocate(8);
            v.set(JAVA_LONG, 0, 77);
            q.push(v, BpfMap.ANY);
            MemorySegment out = arena.allocate(8);
            assertThat(q.peek(out)).isTrue();
            assertThat(out.get(JAVA_LONG, 0)).isEqualTo(77);
            assertThat(q.pop(out)).isTrue();
            assertThat(q.pop(out)).isFalse();
        }
    }

    @Test
    void bloomFilterHasNoFalseNegatives() {
        try (BpfMap b = BpfMap.builder(MapType.BLOOM_FILTER).name("rt_bloom").valueSize(8).maxEntries(1000)
                .mapExtra(3).build()) {
            for (long i = 0; i < 500; i++) b.push(i64(i * 7919));
            for (long i = 0; i < 500; i++) assertThat(b.mightContain(i64(i * 7919))).as("value %d", i * 7919).isTrue();
            long falsePositives = IntStream.range(0, 1000).filter(i -> b.mightContain(i64(-1L - i))).count();
            assertThat(falsePositives).isLessThan(500); // some are allowed; all would mean it answers true always
            assertThat(b.info().mapExtra()).isEqualTo(3);
        }
    }

    @Test
    void progArrayAcceptsALoadedProgramAndReportsItsId() {
        try (Program p = MapTestSupport.trivialProgram("bpf4j_tail", ProgramType.SOCKET_FILTER);
             BpfMap pa = BpfMap.create(MapSpec.progArray("rt_progs", 4))) {
            assertThat(pa.lookupId(0)).isEmpty();
            pa.set(0, p);
            assertThat(pa.lookupId(0)).hasValue(p.info().id());
            assertThat(pa.keys().count()).isEqualTo(4); // arrays list every index
            assertThat(pa.delete(MapTestSupport.i32(0))).isTrue();
            assertThat(pa.lookupId(0)).isEmpty();
        }
    }

    @Test
    void arrayOfMapsLookupReturnsTheInnerMapsId() {
        MapSpec innerSpec = MapSpec.builder(MapType.ARRAY).name("inner").valueSize(8).maxEntries(4).build();
        try (BpfMap outer = BpfMap.builder(MapType.ARRAY_OF_MAPS).name("rt_aom").maxEntries(2).innerMap(innerSpec)
                .build();
             BpfMap inner = BpfMap.create(innerSpec)) {
            assertThat(outer.valueSize()).isEqualTo(4);
            outer.set(1, inner);
            assertThat(outer.lookupId(1)).hasValue(inner.info().id());
            assertThat(outer.lookupId(0)).isEmpty();
            // The id opens the same map.
            inner.update(i32(2), i64(22));
            try (BpfMap again = BpfMap.fromId(outer.lookupId(1).getAsInt())) {
                assertThat(i64(again.lookup(i32(2)).orElseThrow())).isEqualTo(22);
            }
        }
    }

    @Test
    void hashOfMapsLookupReturnsTheInnerMapsId() {
        MapSpec innerSpec = MapSpec.builder(MapType.HASH).name("inner").keySize(4).valueSize(4).maxEntries(4).build();
        try (BpfMap outer = BpfMap.builder(MapType.HASH_OF_MAPS).name("rt_hom").keySize(8).maxEntries(4)
                .innerMap(innerSpec).build();
             BpfMap inner = BpfMap.create(innerSpec)) {
            outer.updateFd(i64(12345), inner.fd(), BpfMap.ANY);
            assertThat(outer.lookupId(i64(12345))).hasValue(inner.info().id());
            assertThat(outer.lookupId(i64(1))).isEmpty();
        }
    }

    @Test
    void stackTraceMapHoldsAStackFromBpfGetStackid() {
        try (BpfMap stacks = BpfMap.create(MapSpec.stackTrace("rt_stacks", 32, 16))) {
            assertThat(stacks.valueSize()).isEqualTo(8 * 32);
            // r0 = bpf_get_stackid(ctx, stacks, 0): the kernel stack of the test run
            Instructions code = new Assembler()
                    .mov64(Register.R6, Register.R1)
                    .loadMapFd(Register.R2, stacks)
                    .mov64(Register.R1, Register.R6)
                    .mov64(Register.R3, 0)
                    .call(Helper.GET_STACKID)
                    .exit()
                    .build();
            try (Program p = Program.load(ProgramSpec.of("bpf4j_stackid", ProgramType.RAW_TRACEPOINT, code))) {
                TestRunResult r = p.testRun(TestRun.withContext(new byte[8]));
                int stackId = r.returnValue();
                assertThat(stackId).as("bpf_get_stackid result").isBetween(0, 15);
                long[] frames = stacks.stackTrace(stackId).orElseThrow();
                assertThat(frames).isNotEmpty();
                assertThat(frames).doesNotContain(0L);
                assertThat(frames.length).isLessThanOrEqualTo(32);
                assertThat(stacks.keys().map(MapTestSupport::i32).toList()).contains(stackId);
                assertThat(stacks.delete(i32(stackId))).isTrue();
                assertThat(stacks.stackTrace(stackId)).isEmpty();
            }
        }
    }

    /** A socket filter that adds 1 to element 0 of {@code counters} each time it runs. */
    private static Program counterProgram(MapReference counters) {
        Instructions code = new Assembler()
                .loadMapFd(Register.R1, counters)
                .stW(Register.R10, -4, 0)                  // key = 0
                .mov64(Register.R2, Register.R10)
                .add64(Register.R2, -4)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(Register.R0, 0, "out")
                .mov64(Register.R1, 1)
                .atomicAdd(Size.DW, Register.R0, 0, Register.R1)
                .label("out")
                .mov64(Register.R0, 0)
                .exit()
                .build();
        return Program.load(ProgramSpec.of("bpf4j_count", ProgramType.SOCKET_FILTER, code));
    }

    @Test
    void programsAndUserSpaceSeeTheSameElements() {
        try (TypedMap<Integer, Long> counts = BpfMap.builder(MapType.ARRAY).name("shared").maxEntries(1)
                .build(Codec.INT, Codec.LONG);
             TypedMap<Integer, List<Long>> perCpu = BpfMap.builder(MapType.PERCPU_ARRAY).name("shared_pc")
                     .maxEntries(1).buildPerCpu(Codec.INT, Codec.LONG);
             Program p = counterProgram(counts);
             Program q = counterProgram(perCpu)) {
            counts.put(0, 100L);
            p.testRun(TestRun.withData(new byte[64]).repeat(5));
            assertThat(counts.get(0)).hasValue(105L);
            q.testRun(TestRun.withData(new byte[64]).repeat(7));
            List<Long> values = perCpu.get(0).orElseThrow();
            assertThat(values).hasSize(Cpus.possibleCount());
            assertThat(values.stream().mapToLong(Long::longValue).sum()).isEqualTo(7);
        }
    }

    @Test
    void ringBufferIsCreatedWithAPageMultiple() {
        int page = (int) Host.pageSize();
        try (BpfMap rb = BpfMap.create(MapSpec.ringBuffer("rt_ringbuf", 16 * page))) {
            MapInfo info = rb.info();
            assertThat(info.type()).isEqualTo(MapType.RINGBUF);
            assertThat(info.maxEntries()).isEqualTo(16 * page);
            assertThat(info.keySize()).isZero();
        }
        assertThatThrownBy(() -> BpfMap.create(MapSpec.ringBuffer("rt_ringbuf", 3 * page)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("power of two").hasMessageContaining("page size");
    }

    @Test
    void perfEventArrayHasOneSlotPerPossibleCpu() {
        try (BpfMap pe = BpfMap.create(MapSpec.perfEventArray("rt_perf"))) {
            assertThat(pe.maxEntries()).isEqualTo(Cpus.possibleCount());
            assertThat(pe.keySize()).isEqualTo(4);
            assertThat(pe.valueSize()).isEqualTo(4);
            assertThat(pe.info().type()).isEqualTo(MapType.PERF_EVENT_ARRAY);
            assertThatThrownBy(() -> pe.lookup(i32(0)))
                    .isInstanceOf(BpfException.class).hasMessageContaining("cannot read");
        }
    }

    @Test
    void perfEventArrayTakesPerfEventFds() {
        try (BpfMap pe = BpfMap.create(MapSpec.perfEventArray("rt_perf_fd")); Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(128, 8); // struct perf_event_attr
            attr.set(JAVA_INT, 0, 1);                    // type = PERF_TYPE_SOFTWARE
            attr.set(JAVA_INT, 4, 128);                  // size
            attr.set(JAVA_LONG, 8, 10);                  // config = PERF_COUNT_SW_BPF_OUTPUT
            attr.set(JAVA_LONG, 24, 1 << 10);            // sample_type = PERF_SAMPLE_RAW
            attr.set(JAVA_INT, 48, 1);                   // wakeup_events
            int fd = (int) LibC.syscall(LibC.SYS_PERF_EVENT_OPEN, attr, -1, 0, -1, 8); // CPU 0, FD_CLOEXEC
            assertThat(fd).as("perf_event_open").isNotNegative();
            try {
                pe.setFd(0, fd);
                assertThat(pe.keys().count()).isEqualTo(pe.maxEntries());
                assertThat(pe.delete(i32(0))).isTrue();
                assertThat(pe.delete(i32(0))).isFalse();
            } finally {
                LibC.close(fd);
            }
        }
    }

    @Test
    void openingAPinnedProgramAsAMapIsRefused() throws Exception {
        Path path = MapTestSupport.pinPath();
        long before = MapTestSupport.openFds();
        try (Program p = MapTestSupport.trivialProgram("bpf4j_notmap", ProgramType.SOCKET_FILTER)) {
            p.pin(path);
            assertThatThrownBy(() -> BpfMap.open(path)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("not a BPF map").hasMessageContaining("bpf-prog");
        } finally {
            Files.deleteIfExists(path);
        }
        assertThat(MapTestSupport.openFds()).isEqualTo(before);
    }

    // ---- iteration ----------------------------------------------------------------------------------------

    @Test
    void iterationVisitsEveryKeyExactlyOnce() {
        try (BpfMap m = hash("it_hash", 4, 4, 1024)) {
            for (int i = 0; i < 700; i++) m.update(i32(i), i32(-i));
            List<Integer> keys = m.keys().map(MapTestSupport::i32).toList();
            assertThat(keys).hasSize(700).doesNotHaveDuplicates();
            assertThat(new HashSet<>(keys)).isEqualTo(IntStream.range(0, 700).boxed().collect(Collectors.toSet()));
            Map<Integer, Integer> entries = new HashMap<>();
            m.entries().forEach(e -> assertThat(entries.put(i32(e.getKey()), i32(e.getValue()))).isNull());
            assertThat(entries).hasSize(700).allSatisfy((k, v) -> assertThat(v).isEqualTo(-k));
        }
    }

    @Test
    void deletingTheReturnedKeyDuringIterationVisitsEachOnce() {
        try (BpfMap m = hash("it_delete", 4, 4, 1024)) {
            for (int i = 0; i < 500; i++) m.update(i32(i), i32(i));
            List<Integer> seen = new ArrayList<>();
            m.keys().forEach(k -> {
                seen.add(i32(k));
                assertThat(m.delete(k)).isTrue();
            });
            assertThat(seen).hasSize(500).doesNotHaveDuplicates();
            assertThat(m.keys().count()).isZero();
        }
    }

    @Test
    void arrayIterationListsEveryIndexInOrder() {
        try (BpfMap m = BpfMap.builder(MapType.ARRAY).name("it_array").valueSize(4).maxEntries(10).build()) {
            assertThat(m.keys().map(MapTestSupport::i32).toList()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
            assertThat(m.nextKey((byte[]) null).map(MapTestSupport::i32)).hasValue(0);
            assertThat(m.nextKey(i32(9))).isEmpty();
        }
    }

    @Test
    void iteratingAQueueIsRefusedClearly() {
        try (BpfMap q = BpfMap.builder(MapType.QUEUE).name("it_queue").valueSize(4).maxEntries(2).build()) {
            assertThatThrownBy(q::keys).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("no keys");
        }
    }

    // ---- batch --------------------------------------------------------------------------------------------

    @Test
    void batchOperationsAgreeWithPerKeyOperations() {
        // 4 KiB values make each batch call carry ~63 elements, so 500 elements take several calls.
        int n = 500, vs = 4096;
        try (BpfMap m = hash("batch_hash", 4, vs, 1024)) {
            assertThat(m.batchSize()).isLessThan(n);
            List<byte[]> keys = new ArrayList<>(), values = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                keys.add(i32(i));
                byte[] v = new byte[vs];
                Arrays.fill(v, (byte) i);
                v[0] = (byte) (i >> 8);
                values.add(v);
            }
            assertThat(m.updateBatch(keys, values, BpfMap.ANY)).isEqualTo(n);
            for (int i = 0; i < n; i++) assertThat(m.lookup(keys.get(i))).hasValue(values.get(i));
            Map<Integer, byte[]> perKey = new HashMap<>();
            m.entries().forEach(e -> perKey.put(i32(e.getKey()), e.getValue()));
            List<Map.Entry<byte[], byte[]>> batch = m.lookupBatch();
            assertThat(batch).hasSize(n);
            Set<Integer> batchKeys = new HashSet<>();
            for (Map.Entry<byte[], byte[]> e : batch) {
                int k = i32(e.getKey());
                assertThat(batchKeys.add(k)).as("key %d once", k).isTrue();
                assertThat(e.getValue()).isEqualTo(perKey.get(k)).isEqualTo(values.get(k));
            }
            // Delete a third, with some keys that are not there: they are skipped.
            List<byte[]> toDelete = new ArrayList<>();
            for (int i = 0; i < n; i += 3) toDelete.add(i32(i));
            toDelete.add(1, i32(100_000));
            toDelete.add(i32(100_001));
            assertThat(m.deleteBatch(toDelete)).isEqualTo((n + 2) / 3);
            for (int i = 0; i < n; i++) assertThat(m.lookup(i32(i)).isPresent()).isEqualTo(i % 3 != 0);
            List<Map.Entry<byte[], byte[]>> drained = m.lookupAndDeleteBatch();
            assertThat(drained).hasSize(n - (n + 2) / 3);
            assertThat(m.keys().count()).isZero();
            assertThat(m.lookupBatch()).isEmpty();
        }
    }

    @Test
    void batchOnArraysAndPerCpuMaps() {
        int cpus = Cpus.possibleCount();
        try (BpfMap a = BpfMap.builder(MapType.ARRAY).name("batch_arr").valueSize(8).maxEntries(100).build();
             BpfMap p = BpfMap.builder(MapType.PERCPU_HASH).name("batch_pcpu").keySize(4).valueSize(8)
                     .maxEntries(100).build()) {
            List<byte[]> keys = IntStream.range(0, 100).mapToObj(MapTestSupport::i32).toList();
            a.updateBatch(keys, IntStream.range(0, 100).mapToObj(i -> i64(i * 3L)).toList(), BpfMap.ANY);
            List<Map.Entry<byte[], byte[]>> all = a.lookupBatch();
            assertThat(all).hasSize(100);
            all.forEach(e -> assertThat(i64(e.getValue())).isEqualTo(i32(e.getKey()) * 3L)
                    .isEqualTo(i64(a.lookup(e.getKey()).orElseThrow())));

            List<byte[]> perCpuValues = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                byte[] v = new byte[8 * cpus];
                for (int c = 0; c < cpus; c++) System.arraycopy(i64(i * 10L + c), 0, v, 8 * c, 8);
                perCpuValues.add(v);
            }
            p.updateBatch(keys.subList(0, 50), perCpuValues, BpfMap.ANY);
            List<Map.Entry<byte[], byte[]>> pall = p.lookupBatch();
            assertThat(pall).hasSize(50);
            for (Map.Entry<byte[], byte[]> e : pall) {
                int k = i32(e.getKey());
                assertThat(e.getValue()).isEqualTo(p.lookup(e.getKey()).orElseThrow()).isEqualTo(perCpuValues.get(k));
            }
        }
    }

    @Test
    void batchOnATypeWithoutBatchSaysWhatToDo() {
        try (BpfMap stacks = BpfMap.create(MapSpec.stackTrace("batch_st", 8, 4));
             BpfMap lpm = BpfMap.builder(MapType.LPM_TRIE).name("batch_lpm").keySize(8).valueSize(4).maxEntries(4)
                     .build();
             BpfMap array = BpfMap.builder(MapType.ARRAY).name("batch_arr").valueSize(4).maxEntries(4).build()) {
            assertThat(MapType.STACK_TRACE.canBatchLookup()).isFalse();
            assertThatThrownBy(stacks::lookupBatch).isInstanceOf(BpfException.class)
                    .hasMessageContaining("BPF_MAP_LOOKUP_BATCH").hasMessageContaining("keys()");
            // LPM tries have batch lookup, update and delete, but no lookup-and-delete.
            assertThat(MapType.LPM_TRIE.canBatchLookup()).isTrue();
            assertThat(lpm.lookupBatch()).isEmpty();
            assertThat(MapType.LPM_TRIE.canBatchLookupAndDelete()).isFalse();
            assertThatThrownBy(lpm::lookupAndDeleteBatch).isInstanceOf(BpfException.class)
                    .hasMessageContaining("BPF_MAP_LOOKUP_AND_DELETE_BATCH").hasMessageContaining("keys()");
            assertThatThrownBy(() -> array.deleteBatch(List.of(i32(0)))).isInstanceOf(BpfException.class)
                    .hasMessageContaining("cannot be deleted");
        }
    }

    // ---- info, pin, freeze, errors, fds --------------------------------------------------------------------

    @Test
    void infoMatchesTheSpec() {
        MapSpec spec = MapSpec.builder(MapType.HASH).name("info-map.x!").keySize(12).valueSize(20).maxEntries(33)
                .flags(MapSpec.F_NO_PREALLOC).build();
        try (BpfMap m = BpfMap.create(spec)) {
            MapInfo info = m.info();
            assertThat(info.type()).isEqualTo(MapType.HASH);
            assertThat(info.name()).isEqualTo("infomap.x"); // sanitized as the kernel accepts names
            assertThat(m.name()).isEqualTo("infomap.x");
            assertThat(info.keySize()).isEqualTo(12);
            assertThat(info.valueSize()).isEqualTo(20);
            assertThat(info.maxEntries()).isEqualTo(33);
            assertThat(info.flags()).isEqualTo(MapSpec.F_NO_PREALLOC);
            assertThat(info.id()).isPositive();
            assertThat(KernelObjects.mapIds()).contains(info.id());
            try (BpfMap byId = BpfMap.fromId(info.id())) {
                assertThat(byId.type()).isEqualTo(MapType.HASH);
                assertThat(byId.keySize()).isEqualTo(12);
                assertThat(byId.name()).isEqualTo("infomap.x");
            }
        }
    }

    @Test
    void pinnedMapIsReopenedByPathAndSeesTheSameData() throws Exception {
        Path path = MapTestSupport.pinPath();
        try (BpfMap m = hash("pin_hash", 4, 8, 8)) {
            m.update(i32(1), i64(11));
            m.pin(path);
            assertThat(path).exists();
            assertThat(m.pinnedPath()).hasValue(path);
            try (BpfMap again = BpfMap.open(path)) {
                assertThat(again.info().id()).isEqualTo(m.info().id());
                assertThat(i64(again.lookup(i32(1)).orElseThrow())).isEqualTo(11);
                again.update(i32(2), i64(22));
                assertThat(i64(m.lookup(i32(2)).orElseThrow())).isEqualTo(22);
            }
            m.unpin();
            assertThat(path).doesNotExist();
            assertThatThrownBy(() -> BpfMap.open(path)).isInstanceOf(BpfException.class)
                    .hasMessageContaining("nothing is pinned");
        } finally {
            Files.deleteIfExists(path);
        }
    }

    @Test
    void frozenMapRejectsUpdatesFromUserSpaceClearly() {
        try (BpfMap m = hash("frozen", 4, 4, 4)) {
            m.update(i32(1), i32(1));
            assertThat(m.isFrozen()).isFalse();
            m.freeze();
            assertThat(m.isFrozen()).isTrue();
            assertThat(i32(m.lookup(i32(1)).orElseThrow())).isEqualTo(1); // reading still works
            assertThatThrownBy(() -> m.update(i32(1), i32(2)))
                    .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.is(Errno.EPERM)).isTrue())
                    .hasMessageContaining("frozen").hasMessageContaining("'frozen'");
            assertThatThrownBy(() -> m.delete(i32(1))).isInstanceOf(BpfException.class).hasMessageContaining("frozen");
        }
    }

    @Test
    void errorsSayWhatIsWrong() {
        assertThatThrownBy(() -> BpfMap.builder(MapType.ARRAY).name("bad").keySize(8).valueSize(8).maxEntries(4)
                .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("array map 'bad'").hasMessageContaining("4-byte key").hasMessageContaining("8");
        assertThatThrownBy(() -> BpfMap.builder(MapType.HASH).name("bad").keySize(4).valueSize(8).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("max entries");
        assertThatThrownBy(() -> BpfMap.builder(MapType.ARRAY_OF_MAPS).name("bad").maxEntries(1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("inner map");
        assertThatThrownBy(() -> BpfMap.builder(MapType.QUEUE).name("bad").keySize(4).valueSize(4).maxEntries(1)
                .build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no keys");
        // The kernel's refusal names the map and the errno.
        assertThatThrownBy(() -> BpfMap.builder(MapType.HASH).name("huge").keySize(4).valueSize(1 << 30)
                .maxEntries(1).build())
                .isInstanceOfSatisfying(BpfException.class, e -> assertThat(e.errnoCode()).isPositive())
                .hasMessageContaining("BPF_MAP_CREATE").hasMessageContaining("'huge'");
        try (BpfMap m = hash("sizes", 4, 8, 4); Arena arena = Arena.ofConfined()) {
            assertThatThrownBy(() -> m.update(new byte[3], i64(1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("key must be 4 bytes, got 3");
            assertThatThrownBy(() -> m.lookup(arena.allocate(4), arena.allocate(4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 8 bytes");
            assertThatThrownBy(() -> m.lookup(MemorySegment.ofArray(new byte[4]), arena.allocate(8)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heap");
            assertThatThrownBy(m::pop).isInstanceOf(UnsupportedOperationException.class);
        }
        BpfMap closed = hash("closed", 4, 4, 4);
        closed.close();
        assertThatThrownBy(() -> closed.lookup(i32(1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("'closed' is closed");
    }

    @Test
    void noFileDescriptorIsLeftOpen() throws Exception {
        // Warm up whatever the JVM and the tests open once (class loading, /proc reads).
        try (BpfMap m = hash("fd_warm", 4, 4, 4)) {
            m.info();
        }
        long before = MapTestSupport.openFds();
        MapSpec inner = MapSpec.builder(MapType.ARRAY).name("fd_inner").valueSize(4).maxEntries(1).build();
        Path path = MapTestSupport.pinPath();
        try {
            for (int i = 0; i < 100; i++) {
                try (BpfMap h = hash("fd_hash", 4, 4, 4);
                     BpfMap aom = BpfMap.builder(MapType.ARRAY_OF_MAPS).name("fd_aom").maxEntries(1).innerMap(inner)
                             .build();
                     BpfMap q = BpfMap.builder(MapType.QUEUE).name("fd_queue").valueSize(4).maxEntries(1).build();
                     TypedMap<Integer, Long> t = BpfMap.builder(MapType.HASH).name("fd_typed").maxEntries(2)
                             .build(Codec.INT, Codec.LONG)) {
                    h.update(i32(i), i32(i));
                    t.put(i, (long) i);
                    try (BpfMap byId = BpfMap.fromId(h.info().id())) {
                        byId.keys().forEach(k -> { });
                    }
                    if (i % 10 == 0) {
                        h.pin(path);
                        try (BpfMap opened = BpfMap.open(path)) {
                            opened.unpin();
                        }
                    }
                    q.push(i32(i));
                    assertThat(aom.fd()).isPositive();
                }
            }
            // Failed creations must not leak either.
            for (int i = 0; i < 20; i++) {
                assertThatThrownBy(() -> BpfMap.builder(MapType.HASH).name("fd_huge").keySize(4).valueSize(1 << 30)
                        .maxEntries(1).build()).isInstanceOf(BpfException.class);
            }
        } finally {
            Files.deleteIfExists(path);
        }
        assertThat(MapTestSupport.openFds()).isEqualTo(before);
    }

    @Test
    void lookupOnTheSegmentPathDoesNotAllocate() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (BpfMap m = hash("noalloc", 4, 8, 4); Arena arena = Arena.ofConfined()) {
            MemorySegment key = arena.allocate(4), value = arena.allocate(8);
            key.set(JAVA_INT, 0, 1);
            value.set(JAVA_LONG, 0, 5);
            m.update(key, value, BpfMap.ANY);
            long tid = Thread.currentThread().threadId();
            long sum = 0;
            for (int round = 0; round < 5; round++) {
                long start = threads.getThreadAllocatedBytes(tid);
                for (int i = 0; i < 200_000; i++) {
                    if (m.lookup(key, value)) sum += value.get(JAVA_LONG, 0);
                    m.update(key, value, BpfMap.ANY);
                }
                long allocated = threads.getThreadAllocatedBytes(tid) - start;
                if (round == 4) {
                    // Compiled code allocates nothing per call; allow a little for the measurement itself.
                    assertThat(allocated).as("bytes allocated by 400,000 calls").isLessThan(64 * 1024);
                }
            }
            assertThat(sum).isEqualTo(5L * 200_000 * 5);
        }
    }
}
