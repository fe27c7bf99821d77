package io.bpf4j.core.elf;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Program;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Loads the fixtures into the running kernel: maps created, fds patched, programs verified. Needs root. */
@KernelTest
class BpfObjectLoadTest {

    @BeforeEach
    void needsRoot() {
        assumeTrue(Host.isRoot(), "loading BPF objects needs root (CAP_BPF)");
    }

    @Test
    void tracepointWithHashAndRingBufferLoads() {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("tracepoint_hash_ringbuf"))) {
            assertThat(obj.programs()).containsOnlyKeys("count_openat"); // exit_openat is SEC("?…")
            Program p = obj.program("count_openat");
            assertThat(p.type()).isEqualTo(ProgramType.TRACEPOINT);
            assertThat(p.info().mapCount()).isEqualTo(2);
            assertThat(obj.map("counts").type()).isEqualTo(MapType.HASH);
            assertThat(obj.map("events").type()).isEqualTo(MapType.RINGBUF);
        }
    }

    @Test
    void rodataIsSetBeforeLoadAndFrozen() {
        ObjectSpec spec = ObjectSpecTest.spec("xdp_rodata").withVariable("verdict", 1); // XDP_DROP
        try (BpfObject obj = BpfObject.load(spec)) {
            BpfMap rodata = obj.map(".rodata");
            assertThat(rodata.isFrozen()).isTrue();
            byte[] value = rodata.lookup(new byte[4]).orElseThrow();
            assertThat(ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getInt(0)).isEqualTo(1);
            assertThatThrownBy(() -> rodata.update(new byte[4], new byte[16])).isInstanceOf(BpfException.class);

            // the program sees the knob: it drops, counts the packet and bumps .data and .bss
            byte[] packet = new byte[64];
            assertThat(obj.program("xdp_count").testRun(TestRun.withData(packet)).returnValue()).isEqualTo(1);
            long seen = ByteBuffer.wrap(obj.map(".data").lookup(new byte[4]).orElseThrow())
                    .order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertThat(seen).isEqualTo(8);
            long dropped = ByteBuffer.wrap(obj.map(".bss").lookup(new byte[4]).orElseThrow())
                    .order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertThat(dropped).isEqualTo(1);
            long packets = ByteBuffer.wrap(obj.map("packets").lookup(new byte[4]).orElseThrow())
                    .order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertThat(packets).isEqualTo(1);
            assertThat(obj.program("xdp_frags_pass").testRun(TestRun.withData(packet)).returnValue()).isEqualTo(2);
        }
    }

    @Test
    void subprogramsLoadAndRun() {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("subprograms"))) {
            byte[] packet = new byte[60];
            int len = 60 - 14; // a socket filter's skb starts after the Ethernet header
            // sock_a: add_twice(len, 1) + twice(3), add_twice calling twice in turn
            assertThat(obj.program("sock_a").testRun(TestRun.withData(packet)).returnValue())
                    .isEqualTo(2 * len + 1 + 2 * 3);
            // sock_b: minus_one(len) + add_twice(1, 2)
            assertThat(obj.program("sock_b").testRun(TestRun.withData(packet)).returnValue())
                    .isEqualTo(len - 1 + 2 * 1 + 2);
            assertThat(obj.program("tc_plain").testRun(TestRun.withData(packet)).returnValue()).isZero();
        }
    }

    @Test
    void mapInMapAndProgArrayAreFilled() {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("map_in_map"))) {
            BpfMap outer = obj.map("outer");
            assertThat(outer.lookupId(0)).hasValue(obj.map("inner_a").info().id());
            assertThat(outer.lookupId(1)).isEmpty();
            assertThat(outer.lookupId(2)).hasValue(obj.map("inner_b").info().id());
            assertThat(obj.map("jumps").lookupId(1)).hasValue(obj.program("tail").info().id());
        }
    }

    @Test
    void ringBufferWithoutLegacyMapsLoads() {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("ringbuf_only"))) {
            assertThat(obj.program("on_sys_enter").type()).isEqualTo(ProgramType.RAW_TRACEPOINT);
        }
    }

    // externs (legacy_maps' LINUX_KERNEL_VERSION among them): ExternsAndAttachTargetsTest
}
