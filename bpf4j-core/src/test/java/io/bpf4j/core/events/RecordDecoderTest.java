package io.bpf4j.core.events;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An event struct with every field shape (integers of each size and sign, char array, enum, nested struct,
 * anonymous union, bitfields, bool, array, pointer) is emitted by a real program through a real ring buffer and
 * decoded with the object's own BTF — nothing about the layout is written in Java.
 */
@KernelTest
class RecordDecoderTest {
    private static ObjectSpec spec;
    private static Btf btf;
    private static byte[] event;

    enum State { IDLE, RUNNING, DEAD }

    record Point(short x, short y) {
    }

    record Event(int pid, String comm, long ts, int delta, State state, Point where, int word, boolean flag_a,
                 int level, int signed_bits, boolean ok, List<Long> ports) {
    }

    @BeforeAll
    static void emitOneEvent() {
        spec = ObjectSpec.read(Fixtures.object("event_decode"));
        btf = Btf.parse(spec.btf());
        List<byte[]> seen = new ArrayList<>();
        try (BpfObject obj = BpfObject.load(spec);
             RingBuffer ring = RingBuffer.open(obj.map("events"), RecordHandler.copying(seen::add))) {
            obj.program("emit_event").testRun(TestRun.withData(new byte[64]));
            assertThat(ring.consume()).isEqualTo(1);
        }
        event = seen.getFirst();
    }

    @Test
    void decodesEveryFieldShapeGenerically() {
        RecordDecoder decoder = RecordDecoder.forStruct(btf, "event");
        assertThat(event.length).isGreaterThanOrEqualTo((int) decoder.size());
        BtfRecord r = decoder.decode(event);

        assertThat(r.typeName()).isEqualTo("event");
        assertThat(r.fieldNames()).containsExactly("pid", "comm", "ts", "delta", "state", "where", "word", "bytes",
                "flag_a", "level", "signed_bits", "ok", "ports", "ptr");
        assertThat(r.getLong("pid")).isEqualTo(4242);
        assertThat(r.getString("comm")).isEqualTo("decoder");
        assertThat(r.getUnsigned("ts")).isEqualTo(Long.toUnsignedString(0xfedcba9876543210L));
        assertThat(r.getLong("delta")).isEqualTo(-17);
        assertThat(r.get("state")).isEqualTo("STATE_RUNNING");
        assertThat(r.getRecord("where").getLong("x")).isEqualTo(-3);
        assertThat(r.getRecord("where").getLong("y")).isEqualTo(300);
        assertThat(r.getLong("word")).isEqualTo(0x01020304);
        assertThat(r.get("bytes")).isEqualTo(List.of(4L, 3L, 2L, 1L)); // little-endian view of the same union
        assertThat(r.getLong("flag_a")).isEqualTo(1);
        assertThat(r.getLong("level")).isEqualTo(5);
        assertThat(r.getLong("signed_bits")).isEqualTo(-2);
        assertThat(r.get("ok")).isEqualTo(true);
        assertThat(r.get("ports")).isEqualTo(List.of(22L, 80L, 65535L));
        assertThat(r.get("ptr")).hasToString("0xdead0000");
        assertThat(r.toString()).startsWith("{pid=4242, comm=\"decoder\", ts=");
    }

    @Test
    void mapsOntoAJavaRecordByFieldName() {
        RecordMapper<Event> mapper = RecordMapper.of(btf, "event", Event.class);
        Event e = mapper.decode(event);
        assertThat(e).isEqualTo(new Event(4242, "decoder", 0xfedcba9876543210L, -17, State.RUNNING,
                new Point((short) -3, (short) 300), 0x01020304, true, 5, -2, true, List.of(22L, 80L, 65535L)));
    }

    record Wrong(int pid, String command) {
    }

    @Test
    void aComponentWithoutAFieldIsRefusedUpFront() {
        assertThatThrownBy(() -> RecordMapper.of(btf, "event", Wrong.class))
                .hasMessageContaining("'command'").hasMessageContaining("[pid, comm, ts");
    }

    @Test
    void shortInputIsRefused() {
        RecordDecoder decoder = RecordDecoder.forStruct(btf, "event");
        assertThatThrownBy(() -> decoder.decode(new byte[8])).hasMessageContaining("struct event needs");
        assertThatThrownBy(() -> RecordDecoder.forStruct(btf, "no_such_struct")).hasMessageContaining("no_such_struct");
    }
}
