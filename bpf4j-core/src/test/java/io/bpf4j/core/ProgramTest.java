package io.bpf4j.core;

import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.kernel.KernelInfo;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static io.bpf4j.core.asm.Register.R4;
import static io.bpf4j.core.asm.Register.R5;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Loading programs built with the assembler, running them with BPF_PROG_TEST_RUN, and the ways loads fail. */
@KernelTest
class ProgramTest {
    static final int XDP_DROP = 1, XDP_PASS = 2;

    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "loading programs needs root");
    }

    /** {@code r0 = 40; r0 += 2; exit}. */
    static Instructions fortyTwo() {
        return new Assembler().mov64(R0, 40).add64(R0, 2).exit().build();
    }

    @Test
    void assembledProgramReturnsWhatItComputes() {
        byte[] packet = udpPacket("127.0.0.1", "127.0.0.1", "hi");
        for (ProgramType type : new ProgramType[] {ProgramType.SOCKET_FILTER, ProgramType.XDP}) {
            try (Program p = Program.load(ProgramSpec.of("forty_two", type, fortyTwo()))) {
                assertThat(p.type()).isEqualTo(type);
                assertThat(p.fd()).isPositive();
                TestRunResult r = p.testRun(TestRun.withData(packet).repeat(10));
                assertThat(r.returnValue()).as("%s", type).isEqualTo(42);
                // The program left the packet alone (for socket filters the kernel hands back the Ethernet
                // header zeroed: they run on the packet from the network header on).
                int from = type == ProgramType.XDP ? 0 : 14;
                assertThat(java.util.Arrays.copyOfRange(r.data(), from, r.data().length))
                        .isEqualTo(java.util.Arrays.copyOfRange(packet, from, packet.length));
                assertThat(p.info().name()).isEqualTo("forty_two");
                assertThat(p.info().type()).isEqualTo(type);
            }
        }
    }

    @Test
    void helperCalledByName() {
        // r0 = bpf_ktime_get_ns(); r0 = r0 != 0 ? 7 : 0 — a helper call the verifier accepts on a socket filter.
        Instructions code = new Assembler()
                .call("ktime_get_ns")
                .jeq(R0, 0, "zero")
                .mov64(R0, 7)
                .exit()
                .label("zero")
                .mov64(R0, 0)
                .exit()
                .build();
        try (Program p = Program.load(ProgramSpec.of("clock", ProgramType.SOCKET_FILTER, code))) {
            assertThat(p.testRun(TestRun.withData(udpPacket("10.0.0.1", "10.0.0.2", ""))).returnValue()).isEqualTo(7);
        }
    }

    /**
     * XDP: drop IPv4 packets from 127.0.0.2, pass everything else. Reads the source address only after proving to
     * the verifier that the Ethernet and IPv4 headers lie inside the packet.
     */
    static Instructions dropFrom127002() {
        return new Assembler()
                .ldxW(R2, R1, 0)                  // r2 = ctx->data
                .ldxW(R3, R1, 4)                  // r3 = ctx->data_end
                .mov64(R4, R2)
                .add64(R4, 14 + 20)               // end of the IPv4 header
                .jgt(R4, R3, "pass")              // too short for Ethernet + IPv4
                .ldxH(R5, R2, 12)                 // h_proto, network order
                .jne(R5, 0x0008, "pass")          // htons(ETH_P_IP)
                .ldxW(R5, R2, 14 + 12)            // iph->saddr, network order
                .jne(R5, 0x0200007f, "pass")      // 127.0.0.2 read as a little-endian u32
                .mov64(R0, XDP_DROP)
                .exit()
                .label("pass")
                .mov64(R0, XDP_PASS)
                .exit()
                .build();
    }

    @Test
    void xdpDropsAndPassesCraftedPackets() {
        try (Program p = Program.load(ProgramSpec.of("drop_127_0_0_2", ProgramType.XDP, dropFrom127002()))) {
            byte[] fromBlocked = udpPacket("127.0.0.2", "127.0.0.1", "payload");
            byte[] fromOther = udpPacket("127.0.0.1", "127.0.0.2", "payload");
            byte[] fromNearby = udpPacket("127.0.0.3", "127.0.0.1", "payload");
            assertThat(p.testRun(TestRun.withData(fromBlocked)).returnValue()).isEqualTo(XDP_DROP);
            assertThat(p.testRun(TestRun.withData(fromOther)).returnValue()).isEqualTo(XDP_PASS);
            assertThat(p.testRun(TestRun.withData(fromNearby)).returnValue()).isEqualTo(XDP_PASS);

            // Not IPv4: an ARP frame with 127.0.0.2 where an IPv4 source would be.
            byte[] arp = fromBlocked.clone();
            arp[12] = 0x08;
            arp[13] = 0x06;
            assertThat(p.testRun(TestRun.withData(arp)).returnValue()).isEqualTo(XDP_PASS);

            // Too short to hold an IPv4 header: the bounds check passes it without reading past the end.
            byte[] runt = java.util.Arrays.copyOf(fromBlocked, 14 + 19);
            assertThat(p.testRun(TestRun.withData(runt)).returnValue()).isEqualTo(XDP_PASS);

            // No room for the packet out: nothing copied back (the kernel reads data_size_out 0 as "unlimited",
            // so bpf4j must not pass a buffer at all — it once passed a 0-byte one and the heap paid for it).
            TestRunResult noCopy = p.testRun(new TestRun(fromBlocked, 0, new byte[0], 0, 3, 0, 0, 0));
            assertThat(noCopy.returnValue()).isEqualTo(XDP_DROP);
            assertThat(noCopy.data()).isEmpty();

            TestRunResult many = p.testRun(TestRun.withData(fromBlocked).repeat(1000));
            assertThat(many.returnValue()).isEqualTo(XDP_DROP);
            assertThat(many.data()).isEqualTo(fromBlocked);
        }
    }

    @Test
    void verifierRejectionCarriesTheReasonAndTheWholeLog() {
        // exit without setting r0
        Instructions noReturnValue = new Assembler().exit().build();
        VerifierException e = catchThrowableOfType(VerifierException.class,
                () -> Program.load(ProgramSpec.of("no_r0", ProgramType.SOCKET_FILTER, noReturnValue)));
        assertThat(e).isNotNull();
        assertThat(e.getMessage()).contains("R0 !read_ok").contains("no_r0").contains("EACCES");
        assertThat(e.programName()).isEqualTo("no_r0");
        assertThat(e.errno()).contains(Errno.EACCES);
        assertThat(e.log()).contains("0: (95) exit").contains("R0 !read_ok");
        assertThat(e.log().strip().lines().toList().getLast()).startsWith("processed 1 insns"); // complete
        assertThat(e.lastLines(5)).contains("R0 !read_ok");
        assertThat(e.reason()).isEqualTo("R0 !read_ok");
        assertThat(e.failingInstruction()).hasValue(0);

        // read a register nobody wrote: r0 = r2
        Instructions uninitialised = new Assembler().mov64(R0, R2).exit().build();
        assertThatThrownBy(() -> Program.load(ProgramSpec.of("uninit", ProgramType.XDP, uninitialised)))
                .isInstanceOfSatisfying(VerifierException.class, v -> {
                    assertThat(v.log()).contains("R2 !read_ok");
                    assertThat(v.log()).contains("processed");
                    assertThat(v.reason()).isEqualTo("R2 !read_ok");
                    assertThat(v.failingInstruction()).hasValue(0);
                })
                .hasMessageContaining("R2 !read_ok");
    }

    @Test
    void aLoopTheVerifierCannotEndIsRefusedAtTheInstructionItNames() {
        // 0: r0 = 0; 1: if r0 == 0 goto -1 (back to itself): the same state again at insn 1
        Instructions spin = new Assembler().mov64(R0, 0).label("top").jeq(R0, 0, "top").exit().build();
        assertThatThrownBy(() -> Program.load(ProgramSpec.of("spin", ProgramType.SOCKET_FILTER, spin)))
                .isInstanceOfSatisfying(VerifierException.class, v -> {
                    assertThat(v.reason()).startsWith("infinite loop detected at insn 1");
                    assertThat(v.failingInstruction()).hasValue(1);
                });
    }

    @Test
    void hugeVerifierLogGrowsTheBufferWithoutTruncation() {
        // 12,000 instructions at log level 2: the verifier prints every instruction and the registers after it.
        int n = 12_000;
        Assembler a = new Assembler().mov64(R0, 0);
        for (int i = 0; i < n; i++) a.add64(R0, 1);
        Instructions code = a.mov64(R0, 0).exit().build();
        try (Program p = Program.load(ProgramSpec.of("long", ProgramType.SOCKET_FILTER, code), 2)) {
            String log = p.verifierLog();
            assertThat(log.length()).isGreaterThan(256 * 1024);
            // The beginning survived (a truncated, rotating log loses it) and so did the end.
            assertThat(log).startsWith("func#0 @0").contains("0: (b7) r0 = 0").contains(n + ": (07) r0 += 1");
            String last = log.strip().lines().filter(l -> l.startsWith("processed ")).findFirst().orElseThrow();
            assertThat(last).startsWith("processed " + (n + 3) + " insns");
            assertThat(p.testRun(TestRun.withData(udpPacket("10.0.0.1", "10.0.0.2", ""))).returnValue()).isZero();
        }
    }

    @Test
    void fentryRefusedWithEpermSaysWhy() {
        int target = KernelBtf.vmlinux().typeId("bpf_fentry_test1", BtfKind.FUNC).orElseThrow();
        ProgramSpec spec = ProgramSpec.of("fentry_probe", ProgramType.TRACING, new Assembler().mov64(R0, 0).exit()
                        .build())
                .withExpectedAttachType(AttachType.TRACE_FENTRY)
                .withAttachBtf(target, 0);
        BpfException e = catchThrowableOfType(BpfException.class, () -> Program.load(spec).close());
        assumeTrue(e != null, "fentry loads on this kernel: not the EPERM kernel of KERNEL.md");
        assertThat(e).isNotInstanceOf(VerifierException.class);
        assertThat(e.is(Errno.EPERM)).isTrue();
        assertThat(e.getMessage())
                .contains("fentry_probe")
                .contains("EPERM")
                .contains("fentry/fexit/LSM")
                .contains("kernel lockdown is '" + KernelInfo.current().lockdown() + "'");
    }

    @Test
    void closingReleasesEveryFileDescriptor() throws IOException {
        byte[] packet = udpPacket("127.0.0.2", "127.0.0.1", "x");
        // Warm up: load classes and open whatever the JVM opens once.
        try (Program p = Program.load(ProgramSpec.of("warm", ProgramType.XDP, dropFrom127002()))) {
            p.testRun(TestRun.withData(packet));
        }
        long before = openFds();
        for (int i = 0; i < 50; i++) {
            Program p = Program.load(ProgramSpec.of("fd_" + i, ProgramType.XDP, dropFrom127002()));
            p.testRun(TestRun.withData(packet));
            p.info();
            p.close();
            p.close(); // idempotent
            assertThatThrownBy(p::fd).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> Program.load(ProgramSpec.of("bad", ProgramType.XDP,
                    new Assembler().exit().build()))).isInstanceOf(VerifierException.class);
        }
        assertThat(openFds()).isEqualTo(before);
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    // ---- packets ----

    /** An Ethernet + IPv4 + UDP packet from {@code src}:4242 to {@code dst}:53 carrying {@code payload}. */
    static byte[] udpPacket(String src, String dst, String payload) {
        byte[] data = payload.getBytes(StandardCharsets.US_ASCII);
        int ipLen = 20 + 8 + data.length;
        ByteBuffer b = ByteBuffer.allocate(14 + ipLen).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[] {0x02, 0, 0, 0, 0, 0x02}).put(new byte[] {0x02, 0, 0, 0, 0, 0x01}).putShort((short) 0x0800);
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) ipLen)      // version 4, IHL 5; total length
                .putShort((short) 1).putShort((short) 0x4000)           // id; don't fragment
                .put((byte) 64).put((byte) 17).putShort((short) 0)      // TTL; UDP; checksum (below)
                .put(ipv4(src)).put(ipv4(dst));
        b.putShort(ip + 10, checksum(b.array(), ip, 20));
        b.putShort((short) 4242).putShort((short) 53).putShort((short) (8 + data.length)).putShort((short) 0);
        b.put(data);
        return b.array();
    }

    private static byte[] ipv4(String dotted) {
        String[] parts = dotted.split("\\.");
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) out[i] = (byte) Integer.parseInt(parts[i]);
        return out;
    }

    /** The Internet checksum of {@code len} bytes at {@code off}. */
    private static short checksum(byte[] a, int off, int len) {
        int sum = 0;
        for (int i = 0; i < len; i += 2) sum += ((a[off + i] & 0xff) << 8) | (a[off + i + 1] & 0xff);
        while ((sum >> 16) != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (short) ~sum;
    }
}
