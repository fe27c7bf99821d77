package io.bpf4j.output.ctf;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.btf.BtfType.Int;
import io.bpf4j.core.btf.BtfType.Member;
import io.bpf4j.output.EventType;
import io.bpf4j.output.TraceEvent;
import io.bpf4j.output.TraceInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CTF event class made from a BTF struct with every kind of member — signed and unsigned integers of each
 * size, a pointer, a char array, an enum, a nested struct, an integer array, bitfields, a union — read back by
 * babeltrace2 with the values written; events given out of order come out sorted.
 */
class CtfSinkTest {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfInt S32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED;

    /** Type ids are list positions + 1. */
    private static final Btf BTF = Btf.of(List.of(
            new Int("char", 1, Int.CHAR, 0, 8),                                    // 1
            Int.of("s8", 1, true),                                                 // 2
            Int.of("u8", 1, false),                                                // 3
            Int.of("u16", 2, false),                                               // 4
            Int.of("int", 4, true),                                                // 5
            Int.of("u64", 8, false),                                               // 6
            new BtfType.Ptr(1),                                                    // 7
            new BtfType.Array(1, 5, 8),                                            // 8 char[8]
            new BtfType.Enum("color", 4, false, List.of(new BtfType.EnumValue("RED", 1),
                    new BtfType.EnumValue("GREEN", 2))),                           // 9
            new BtfType.Struct("inner", 8, List.of(Member.of("a", 3, 0), Member.of("b", 5, 32))), // 10
            new BtfType.Array(4, 5, 3),                                            // 11 u16[3]
            new BtfType.Union("either", 8, List.of(Member.of("x", 5, 0), Member.of("y", 6, 0))), // 12
            new BtfType.Struct("event", 72, List.of(
                    Member.of("small", 2, 0),
                    Member.of("word", 4, 16),
                    Member.of("neg", 5, 32),
                    Member.of("big", 6, 64),
                    Member.of("p", 7, 128),
                    Member.of("name", 8, 192),
                    Member.of("c", 9, 256),
                    Member.of("in", 10, 288),
                    Member.of("arr", 11, 352),
                    new Member("f1", 3, 400, 3),
                    new Member("f2", 3, 403, 5),
                    Member.of("u", 12, 448),
                    Member.of("ts", 6, 512)))));                                   // 13

    private static MemorySegment event(Arena arena, long ts) {
        MemorySegment m = arena.allocate(72);
        m.set(ValueLayout.JAVA_BYTE, 0, (byte) -5);
        m.set(U16, 2, (short) 65000);
        m.set(S32, 4, -123456);
        m.set(U64, 8, Long.MIN_VALUE + 5);
        m.set(U64, 16, 0xdeadbeefL);
        m.setString(24, "hi");
        m.set(S32, 32, 2);
        m.set(ValueLayout.JAVA_BYTE, 36, (byte) 7);
        m.set(S32, 40, -9);
        m.set(U16, 44, (short) 1);
        m.set(U16, 46, (short) 2);
        m.set(U16, 48, (short) 3);
        m.set(ValueLayout.JAVA_BYTE, 50, (byte) (5 | 17 << 3));
        m.set(U64, 56, 0x0102030405060708L);
        m.set(U64, 64, ts);
        return m;
    }

    @Test
    void everyKindOfMemberReadsBackInBabeltrace2(@TempDir Path dir) throws Exception {
        EventType type = EventType.of("sample", BTF, "event");
        try (Arena arena = Arena.ofConfined(); CtfSink sink = new CtfSink(dir)) {
            sink.open(new TraceInfo("unit", List.of(type), "testhost", 1_000_000_000_000_000_000L, 2));
            for (long ts : new long[] {3_000, 1_000, 2_000}) {
                MemorySegment m = event(arena, ts);
                sink.event(new TraceEvent(type, ts, 1, type.decoder().decode(m), m));
            }
        }
        Process p = new ProcessBuilder("babeltrace2", "--clock-cycles", "--no-delta", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines).as(out).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(lines.get(i)).isEqualTo("[" + String.format("%020d", (i + 1) * 1000) + "] testhost sample: { cpu_id = 1 }, { "
                    + "small = -5, word = 65000, neg = -123456, big = 9223372036854775813, p = 0xDEADBEEF, "
                    + "name = \"hi\", c = ( \"GREEN\" : container = 2 ), in = { a = 7, b = -9 }, "
                    + "arr = [ [0] = 1, [1] = 2, [2] = 3 ], f1 = 5, f2 = 17, "
                    + "u = 0x102030405060708, "
                    + "ts = " + (i + 1) * 1000 + " }");
        }
        String metadata = Files.readString(dir.resolve("metadata"));
        assertThat(metadata).startsWith("/* CTF 1.8 */").contains("domain = \"kernel\";")
                .contains("tracer_name = \"bpf4j\";").contains("hostname = \"testhost\";")
                .contains("offset_s = 1000000000;");
    }

    @Test
    void lossesBeforeAndAfterTheEventsAreDiscardedEventsOfAReadableTrace(@TempDir Path dir) throws Exception {
        EventType type = EventType.of("sample", BTF, "event");
        try (Arena arena = Arena.ofConfined(); CtfSink sink = new CtfSink(dir)) {
            sink.open(new TraceInfo("unit", List.of(type), "testhost", 0, 2));
            sink.lost(0, 3);
            MemorySegment m = event(arena, 1_000);
            sink.event(new TraceEvent(type, 1_000, 0, type.decoder().decode(m), m));
            sink.lost(0, 4);
            sink.lost(1, 5);
        }
        Process p = new ProcessBuilder("babeltrace2", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as(out).containsOnlyOnce("sample:")
                // cpu0's losses before and after its one event are known when its only packet of events is written
                .containsPattern("Tracer discarded 7 events .*cpu0")
                .containsPattern("Tracer discarded 5 events .*cpu1");
        // a packet without events holds only its header and context: 84 bytes, the u32 cpu_id last
        assertThat(Files.size(dir.resolve("cpu1"))).isEqualTo(2 * 84);
    }
}
