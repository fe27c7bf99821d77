package io.bpf4j.core;

import io.bpf4j.core.object.MapType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemoryLayout;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Typed views against the real kernel. */
@KernelTest
class TypedMapTest {
    /** A flow key as a C struct: {@code struct { __u32 saddr; __u16 sport; __u8 proto; }} (8 bytes with padding). */
    public record Flow(long saddr, int sport, int proto) {
    }

    /** A value with a name: {@code struct { __u64 count; char comm[16]; }}. */
    public record Stat(long count, String comm) {
    }

    @Test
    void readmeExampleWorks() {
        try (TypedMap<Integer, Long> counts = BpfMap.builder(MapType.HASH).name("counts").keySize(4).valueSize(8)
                .maxEntries(1024).build(Codec.INT, Codec.LONG)) {
            assertThat(counts.get(42)).isEmpty();
            counts.put(42, 1L);
            counts.put(43, 2L);
            assertThat(counts.get(42)).hasValue(1L);
            assertThat(counts.containsKey(43)).isTrue();
            assertThat(counts.containsKey(44)).isFalse();
            assertThat(counts.putIfAbsent(42, 5L)).isFalse();
            assertThat(counts.putIfAbsent(44, 4L)).isTrue();
            assertThat(counts.replace(45, 5L)).isFalse();
            assertThat(counts.replace(44, 40L)).isTrue();
            assertThat(counts.getOrDefault(99, -1L)).isEqualTo(-1L);
            assertThat(counts.keys().toList()).containsExactlyInAnyOrder(42, 43, 44);
            assertThat(counts.entries().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)))
                    .isEqualTo(Map.of(42, 1L, 43, 2L, 44, 40L));
            assertThat(counts.getAndRemove(43)).hasValue(2L);
            assertThat(counts.remove(43)).isFalse();
            assertThat(counts.remove(42)).isTrue();
            assertThat(counts.info().name()).isEqualTo("counts");
        }
    }

    @Test
    void sizesComeFromTheCodecsWhenNotGiven() {
        try (TypedMap<String, Long> m = BpfMap.builder(MapType.HASH).name("by_comm").maxEntries(8)
                .build(Codec.string(16), Codec.LONG)) {
            assertThat(m.map().keySize()).isEqualTo(16);
            assertThat(m.map().valueSize()).isEqualTo(8);
            m.put("bash", 3L);
            assertThat(m.get("bash")).hasValue(3L);
            assertThat(m.keys().toList()).containsExactly("bash");
        }
    }

    @Test
    void structKeysAndValuesRoundTrip() {
        StructCodec<Flow> flow = StructCodec.of(Flow.class, JAVA_INT, JAVA_SHORT, JAVA_BYTE);
        StructCodec<Stat> stat = StructCodec.of(Stat.class, JAVA_LONG, MemoryLayout.sequenceLayout(16, JAVA_BYTE));
        assertThat(flow.size()).isEqualTo(8);
        assertThat(stat.size()).isEqualTo(24);
        try (TypedMap<Flow, Stat> m = BpfMap.builder(MapType.HASH).name("flows").maxEntries(16).build(flow, stat)) {
            Flow a = new Flow(0xc0a8_0001L, 443, 6), b = new Flow(0xffff_ffffL, 65535, 17);
            m.put(a, new Stat(10, "curl"));
            m.put(b, new Stat(Long.MAX_VALUE, "0123456789abcdef"));
            assertThat(m.get(a)).hasValue(new Stat(10, "curl"));
            assertThat(m.get(b)).hasValue(new Stat(Long.MAX_VALUE, "0123456789abcdef"));
            assertThat(m.get(new Flow(0xc0a8_0001L, 443, 17))).isEmpty();
            assertThat(m.keys().toList()).containsExactlyInAnyOrder(a, b);
        }
    }

    @Test
    void wrongCodecSizesAreRefused() {
        try (BpfMap raw = BpfMap.builder(MapType.HASH).name("sized").keySize(4).valueSize(8).maxEntries(2).build()) {
            assertThatThrownBy(() -> raw.typed(Codec.LONG, Codec.LONG))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4-byte keys")
                    .hasMessageContaining("8 bytes");
        }
        assertThatThrownBy(() -> BpfMap.builder(MapType.HASH).name("sized").keySize(8).valueSize(8).maxEntries(2)
                .build(Codec.INT, Codec.LONG))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("8-byte keys");
        assertThatThrownBy(() -> BpfMap.builder(MapType.PERCPU_HASH).name("pc").maxEntries(2)
                .build(Codec.INT, Codec.LONG))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("buildPerCpu");
    }

    @Test
    void perCpuValuesAreListsWithOneElementPerPossibleCpu() {
        int cpus = Cpus.possibleCount();
        try (TypedMap<Integer, List<Long>> m = BpfMap.builder(MapType.PERCPU_ARRAY).name("pc_typed").maxEntries(4)
                .buildPerCpu(Codec.INT, Codec.LONG)) {
            assertThat(m.get(0)).hasValue(Collections.nCopies(cpus, 0L));
            List<Long> values = IntStream.range(0, cpus).mapToObj(c -> 100L + c).toList();
            m.put(2, values);
            assertThat(m.get(2)).hasValue(values);
            assertThat(m.getAll()).hasSize(4).containsEntry(2, values);
            assertThatThrownBy(() -> m.put(1, List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L).subList(0, cpus + 1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("one element per possible CPU");
        }
        try (TypedMap<Integer, List<Integer>> m = BpfMap.builder(MapType.PERCPU_HASH).name("pc_typed_h").maxEntries(4)
                .buildPerCpu(Codec.INT, Codec.INT)) {
            assertThat(m.map().valueBufferSize()).isEqualTo(8 * cpus);
            List<Integer> values = IntStream.range(0, cpus).map(c -> -c).boxed().toList();
            m.put(7, values);
            assertThat(m.get(7)).hasValue(values);
        }
    }

    @Test
    void batchGetAllPutAllRemoveAllAgreeWithPerKeyOperations() {
        try (TypedMap<Integer, Long> m = BpfMap.builder(MapType.HASH).name("tbatch").maxEntries(5000)
                .build(Codec.INT, Codec.LONG)) {
            Map<Integer, Long> data = new HashMap<>();
            for (int i = 0; i < 3000; i++) data.put(i * 7, (long) i * i);
            assertThat(m.putAll(data)).isEqualTo(3000);
            data.forEach((k, v) -> assertThat(m.get(k)).hasValue(v));
            Map<Integer, Long> all = m.getAll();
            assertThat(all).isEqualTo(data);
            assertThat(m.entries().collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))).isEqualTo(all);
            List<Integer> remove = new ArrayList<>(data.keySet()).subList(0, 1000);
            List<Integer> withMissing = new ArrayList<>(remove);
            withMissing.add(1); // not a multiple of 7: absent
            assertThat(m.removeAll(withMissing)).isEqualTo(1000);
            remove.forEach(k -> assertThat(m.containsKey(k)).isFalse());
            Map<Integer, Long> rest = m.getAndRemoveAll();
            assertThat(rest).hasSize(2000);
            assertThat(m.getAll()).isEmpty();
        }
    }

    @Test
    void batchMethodsFallBackForTypesWithoutBatch() {
        try (TypedMap<LpmKey, Integer> m = BpfMap.builder(MapType.LPM_TRIE).name("lpm_typed").maxEntries(16)
                .build(LpmKey.IPV4, Codec.INT)) {
            Map<LpmKey, Integer> routes = Map.of(LpmKey.parse("10.0.0.0/8"), 8, LpmKey.parse("192.168.0.0/16"), 16);
            assertThat(m.putAll(routes)).isEqualTo(2);
            assertThat(m.getAll()).isEqualTo(routes);
            assertThat(m.get(LpmKey.parse("192.168.7.7"))).hasValue(16);
            assertThat(m.removeAll(List.of(LpmKey.parse("10.0.0.0/8"), LpmKey.parse("11.0.0.0/8")))).isEqualTo(1);
            assertThat(m.getAndRemoveAll()).containsOnlyKeys(LpmKey.parse("192.168.0.0/16"));
        }
    }

    @Test
    void clearEmptiesAHash() {
        try (TypedMap<Long, Integer> m = BpfMap.builder(MapType.LRU_HASH).name("clear").maxEntries(128)
                .build(Codec.LONG, Codec.INT)) {
            for (long i = 0; i < 100; i++) m.put(i, (int) i);
            m.clear();
            assertThat(m.keys().count()).isZero();
        }
    }

    @Test
    void typedQueueStackAndBloom() {
        try (TypedMap<Void, Long> q = BpfMap.builder(MapType.QUEUE).name("tqueue").maxEntries(8).build(Codec.LONG);
             TypedMap<Void, String> s = BpfMap.builder(MapType.STACK).name("tstack").maxEntries(8)
                     .build(Codec.string(8));
             TypedMap<Void, Integer> b = BpfMap.builder(MapType.BLOOM_FILTER).name("tbloom").maxEntries(100)
                     .build(Codec.INT)) {
            q.push(1L);
            q.push(2L);
            assertThat(q.peek()).hasValue(1L);
            assertThat(q.pop()).hasValue(1L);
            assertThat(q.pop()).hasValue(2L);
            assertThat(q.pop()).isEmpty();
            s.push("a");
            s.push("b");
            assertThat(s.pop()).hasValue("b");
            assertThat(s.pop()).hasValue("a");
            for (int i = 0; i < 50; i++) b.push(i);
            for (int i = 0; i < 50; i++) assertThat(b.mightContain(i)).isTrue();
        }
    }

    @Test
    void deletingDuringTypedIterationVisitsEachKeyOnce() {
        try (TypedMap<Integer, Integer> m = BpfMap.builder(MapType.HASH).name("tdel").maxEntries(512)
                .build(Codec.INT, Codec.INT)) {
            for (int i = 0; i < 300; i++) m.put(i, i);
            List<Integer> seen = new ArrayList<>();
            m.forEach((k, v) -> {
                seen.add(k);
                m.remove(k);
            });
            assertThat(seen).hasSize(300).doesNotHaveDuplicates();
            assertThat(m.getAll()).isEmpty();
        }
    }
}
