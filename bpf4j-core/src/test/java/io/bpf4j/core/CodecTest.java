package io.bpf4j.core;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.object.MapType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Codecs, struct codecs, LPM keys, CPU lists and map type numbers: pure, no kernel. */
class CodecTest {
    public record Inner(short a, byte b) {
    }

    public record Outer(int x, Inner inner, long[] counters, byte[] raw) {
    }

    public record Net(int port, long addr) {
    }

    @Test
    void numbersRoundTripInMachineOrder() {
        assertThat(Codec.INT.fromBytes(Codec.INT.toBytes(-5))).isEqualTo(-5);
        assertThat(Codec.LONG.fromBytes(Codec.LONG.toBytes(Long.MIN_VALUE))).isEqualTo(Long.MIN_VALUE);
        assertThat(Codec.SHORT.fromBytes(Codec.SHORT.toBytes((short) -2))).isEqualTo((short) -2);
        assertThat(Codec.BYTE.fromBytes(Codec.BYTE.toBytes((byte) -1))).isEqualTo((byte) -1);
        assertThat(Codec.DOUBLE.fromBytes(Codec.DOUBLE.toBytes(1.5))).isEqualTo(1.5);
        assertThat(Codec.FLOAT.fromBytes(Codec.FLOAT.toBytes(2.5f))).isEqualTo(2.5f);
        assertThat(Codec.BOOLEAN.fromBytes(new byte[]{2})).isTrue();
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            assertThat(Codec.INT.toBytes(0x01020304)).containsExactly(4, 3, 2, 1);
        }
        assertThat(Codec.INT_BE.toBytes(0x01020304)).containsExactly(1, 2, 3, 4);
        assertThat(Codec.U16_BE.toBytes(443)).containsExactly(1, (byte) 0xbb);
    }

    @Test
    void unsignedCodecsReadTheFullRange() {
        assertThat(Codec.U8.fromBytes(new byte[]{(byte) 0xff})).isEqualTo(255);
        assertThat(Codec.U16.fromBytes(Codec.SHORT.toBytes((short) -1))).isEqualTo(65535);
        assertThat(Codec.U32.fromBytes(Codec.INT.toBytes(-1))).isEqualTo(4294967295L);
        assertThat(Codec.U32.toBytes(4294967295L)).isEqualTo(Codec.INT.toBytes(-1));
        assertThatThrownBy(() -> Codec.U8.toBytes(256)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Codec.U16.toBytes(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Codec.U32.toBytes(1L << 32)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stringsAreFixedCCharArrays() {
        Codec<String> s = Codec.string(8);
        assertThat(s.toBytes("ab")).containsExactly('a', 'b', 0, 0, 0, 0, 0, 0);
        assertThat(s.fromBytes(s.toBytes("ab"))).isEqualTo("ab");
        assertThat(s.fromBytes("12345678".getBytes())).isEqualTo("12345678"); // full, no NUL
        assertThatThrownBy(() -> s.toBytes("123456789")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("char[8]");
        Codec<byte[]> b = Codec.bytes(3);
        assertThat(b.fromBytes(b.toBytes(new byte[]{1, 2, 3}))).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> b.toBytes(new byte[2])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void perCpuAndArrayCodecs() {
        Codec<List<Integer>> pc = Codec.perCpu(Codec.INT, 3);
        assertThat(pc.size()).isEqualTo(24); // each 4-byte value in an 8-byte slot
        assertThat(pc.fromBytes(pc.toBytes(List.of(1, 2, 3)))).containsExactly(1, 2, 3);
        assertThat(Codec.INT.fromBytes(java.util.Arrays.copyOfRange(pc.toBytes(List.of(1, 2, 3)), 8, 12)))
                .isEqualTo(2);
        assertThatThrownBy(() -> pc.toBytes(List.of(1))).isInstanceOf(IllegalArgumentException.class);
        Codec<List<Short>> arr = Codec.array(Codec.SHORT, 4);
        assertThat(arr.size()).isEqualTo(8);
        assertThat(arr.fromBytes(arr.toBytes(List.of((short) 1, (short) 2, (short) 3, (short) 4))))
                .containsExactly((short) 1, (short) 2, (short) 3, (short) 4);
        Codec<String> hex = Codec.LONG.map(Long::toHexString, h -> Long.parseLong(h, 16));
        assertThat(hex.fromBytes(hex.toBytes("ff"))).isEqualTo("ff");
    }

    @Test
    void structCodecLaysOutFieldsLikeC() {
        StructCodec<Outer> c = StructCodec.of(Outer.class,
                JAVA_INT,
                MemoryLayout.structLayout(JAVA_SHORT.withName("a"), JAVA_BYTE.withName("b"),
                        MemoryLayout.paddingLayout(1)),
                MemoryLayout.sequenceLayout(2, JAVA_LONG),
                MemoryLayout.sequenceLayout(3, JAVA_BYTE));
        // x@0, inner@4 (4 bytes), counters@8 (16), raw@24 (3), tail padding to 32
        assertThat(c.size()).isEqualTo(32);
        Outer o = new Outer(-7, new Inner((short) 300, (byte) -3), new long[]{1, Long.MAX_VALUE}, new byte[]{9, 8, 7});
        byte[] bytes = c.toBytes(o);
        assertThat(bytes).hasSize(32);
        assertThat(bytes[27]).isZero(); // padding is zero
        Outer back = c.fromBytes(bytes);
        assertThat(back.x()).isEqualTo(-7);
        assertThat(back.inner()).isEqualTo(o.inner());
        assertThat(back.counters()).containsExactly(1, Long.MAX_VALUE);
        assertThat(back.raw()).containsExactly(9, 8, 7);
    }

    @Test
    void structCodecFromANamedLayoutWithNetworkOrderAndUnsignedFields() {
        StructLayout layout = MemoryLayout.structLayout(
                JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN).withName("addr"),   // __be32 read as unsigned into a long
                JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withName("port"), // __be16 read as unsigned into an int
                MemoryLayout.paddingLayout(2));
        StructCodec<Net> c = StructCodec.ofLayout(Net.class, layout);
        assertThat(c.size()).isEqualTo(8);
        byte[] bytes = c.toBytes(new Net(443, 0xc0a80001L));
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo("c0a8000101bb0000");
        assertThat(c.fromBytes(bytes)).isEqualTo(new Net(443, 0xc0a80001L));
        assertThat(c.fromBytes(HexFormat.of().parseHex("ffffffffffff0000"))).isEqualTo(new Net(65535, 0xffffffffL));
    }

    @Test
    void structCodecExplainsMismatches() {
        assertThatThrownBy(() -> StructCodec.of(Net.class, JAVA_INT))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 components");
        assertThatThrownBy(() -> StructCodec.of(Net.class, JAVA_INT, MemoryLayout.sequenceLayout(4, JAVA_BYTE)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Net.addr");
        assertThatThrownBy(() -> StructCodec.ofLayout(Net.class, MemoryLayout.structLayout(
                JAVA_INT.withName("port"), JAVA_INT.withName("address"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no field named 'addr'");
    }

    @Test
    void lpmKeysParseAndEncode() {
        LpmKey k = LpmKey.parse("10.1.0.0/16");
        assertThat(k.prefixLength()).isEqualTo(16);
        assertThat(k.data()).containsExactly(10, 1, 0, 0);
        assertThat(k.toString()).isEqualTo("10.1.0.0/16");
        byte[] bytes = LpmKey.IPV4.toBytes(k);
        assertThat(bytes).hasSize(8);
        assertThat(Codec.INT.fromBytes(bytes)).isEqualTo(16);
        assertThat(LpmKey.IPV4.fromBytes(bytes)).isEqualTo(k);
        assertThat(LpmKey.parse("1.2.3.4").prefixLength()).isEqualTo(32);
        assertThat(LpmKey.parse("2001:db8::/32").toString()).isEqualTo("2001:db8:0:0:0:0:0:0/32");
        assertThat(LpmKey.IPV6.size()).isEqualTo(20);
        assertThatThrownBy(() -> LpmKey.parse("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LpmKey.parse("example.com")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LpmKey.IPV4.toBytes(LpmKey.parse("::1"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4-byte keys");
    }

    @Test
    void cpuListsParse() {
        assertThat(Cpus.parseList("0-1\n")).containsExactly(0, 1);
        assertThat(Cpus.parseList("0,2-3")).containsExactly(0, 2, 3);
        assertThat(Cpus.parseList("5")).containsExactly(5);
        assertThat(Cpus.parseList("0-6:2")).containsExactly(0, 2, 4, 6);
        assertThat(Cpus.parseList("")).isEmpty();
        assertThatThrownBy(() -> Cpus.parseList("a-b")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Cpus.possibleCount()).isEqualTo(Cpus.possible().size()).isPositive();
        assertThat(Cpus.possible()).containsAll(Cpus.online());
    }

    @Test
    void mapTypesAreNumberedAsTheKernel() {
        assertThat(MapType.HASH.code()).isEqualTo(1);
        assertThat(MapType.LPM_TRIE.code()).isEqualTo(11);
        assertThat(MapType.QUEUE.code()).isEqualTo(22);
        assertThat(MapType.RINGBUF.code()).isEqualTo(27);
        assertThat(MapType.BLOOM_FILTER.code()).isEqualTo(30);
        assertThat(MapType.USER_RINGBUF.code()).isEqualTo(31);
        assertThat(MapType.CGRP_STORAGE.code()).isEqualTo(32);
        assertThat(MapType.ARENA.code()).isEqualTo(33);
        for (MapType t : MapType.values()) assertThat(MapType.of(t.code())).isEqualTo(t);
        assertThatThrownBy(() -> MapType.of(99)).isInstanceOf(IllegalArgumentException.class);
        assertThat(MapType.PERCPU_ARRAY.isPerCpu()).isTrue();
        assertThat(MapType.HASH.isPerCpu()).isFalse();
        assertThat(MapType.QUEUE.hasKeys()).isFalse();
        assertThat(MapType.PERF_EVENT_ARRAY.canLookup()).isFalse();
        assertThat(MapType.LPM_TRIE.canIterate()).isTrue();
        assertThat(MapType.LPM_TRIE.displayName()).isEqualTo("lpm_trie");
    }

    public record Hist(int[] slots, String comm, long total) {
    }

    public record Misnamed(int[] slot) {
    }

    public record TooNarrow(int total) {
    }

    /** struct hist { __u32 slots[3]; char comm[4]; __u32 flags:3; __u64 total; } as a compiler lays it out. */
    private static Btf histBtf() {
        return Btf.of(List.of(
                BtfType.Int.of("unsigned int", 4, false), // [1]
                new BtfType.Array(1, 1, 3), // [2]
                new BtfType.Int("char", 1, BtfType.Int.CHAR, 0, 8), // [3]
                new BtfType.Array(3, 1, 4), // [4]
                BtfType.Int.of("unsigned long long", 8, false), // [5]
                new BtfType.Struct("hist", 32, List.of(
                        BtfType.Member.of("slots", 2, 0),
                        BtfType.Member.of("comm", 4, 96),
                        new BtfType.Member("flags", 1, 128, 3),
                        BtfType.Member.of("total", 5, 192))))); // [6]
    }

    @Test
    void structCodecBindsARecordToABtfStructByFieldName() {
        Btf btf = histBtf();
        StructLayout layout = (StructLayout) btf.memoryLayout(6);
        assertThat(layout.byteSize()).isEqualTo(32);
        assertThat(layout.memberLayouts().stream().flatMap(m -> m.name().stream()).toList())
                .as("the bitfield has no byte layout").containsExactly("slots", "comm", "total");
        StructCodec<Hist> c = StructCodec.ofBtf(Hist.class, btf, 6);
        byte[] b = new byte[32];
        var seg = MemorySegment.ofArray(b);
        seg.set(JAVA_INT.withByteAlignment(1), 4, 7);
        seg.set(JAVA_BYTE, 12, (byte) 'b');
        seg.set(JAVA_BYTE, 13, (byte) 'a');
        seg.set(JAVA_LONG.withByteAlignment(1), 24, 1L << 40);
        Hist h = c.decode(seg, 0);
        assertThat(h.slots()).containsExactly(0, 7, 0);
        assertThat(h.comm()).isEqualTo("ba");
        assertThat(h.total()).isEqualTo(1L << 40);
    }

    @Test
    void structCodecFromBtfNamesTheFieldThatDoesNotFit() {
        Btf btf = histBtf();
        assertThatThrownBy(() -> StructCodec.ofBtf(Misnamed.class, btf, 6))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no field named 'slot'");
        assertThatThrownBy(() -> StructCodec.ofBtf(TooNarrow.class, btf, 6))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TooNarrow.total");
        assertThatThrownBy(() -> StructCodec.ofBtf(Hist.class, btf, 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a struct");
    }

    public record Spec(int kind, long off) {
    }

    public record Cfg(Spec[] args, int n) {
    }

    @Test
    void structCodecReadsAnArrayOfStructsAsAnArrayOfRecords() {
        Btf btf = Btf.of(List.of(
                BtfType.Int.of("unsigned int", 4, false), // [1]
                BtfType.Int.of("long long", 8, true), // [2]
                new BtfType.Struct("spec", 16, List.of(BtfType.Member.of("kind", 1, 0),
                        BtfType.Member.of("off", 2, 64))), // [3]
                new BtfType.Array(3, 1, 2), // [4]
                new BtfType.Struct("cfg", 40, List.of(BtfType.Member.of("args", 4, 0),
                        BtfType.Member.of("n", 1, 256))))); // [5]
        StructCodec<Cfg> c = StructCodec.ofBtf(Cfg.class, btf, 5);
        assertThat(c.size()).isEqualTo(40);
        MemorySegment seg = MemorySegment.ofArray(new byte[40]);
        c.encode(new Cfg(new Spec[] {new Spec(1, -8), new Spec(3, 42)}, 7), seg, 0);
        assertThat(seg.get(JAVA_LONG.withByteAlignment(1), 8)).isEqualTo(-8);
        assertThat(seg.get(JAVA_INT.withByteAlignment(1), 16)).isEqualTo(3);
        Cfg back = c.decode(seg, 0);
        assertThat(back.args()).containsExactly(new Spec(1, -8), new Spec(3, 42));
        assertThat(back.n()).isEqualTo(7);
        assertThatThrownBy(() -> c.encode(new Cfg(new Spec[1], 0), seg, 0))
                .hasMessageContaining("Cfg.args: expected 2 elements, got 1");
    }
}
