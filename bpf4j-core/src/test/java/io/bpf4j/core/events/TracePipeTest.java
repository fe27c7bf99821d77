package io.bpf4j.core.events;

import io.bpf4j.core.Program;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** bpf_trace_printk output read back from the trace pipe, split into bcc's trace_fields. */
@KernelTest
class TracePipeTest {
    @Test
    void readsWhatAProgramPrintedWithItsFields() {
        // A random tag, so other tracers' lines cannot match: printk("b4j<7 digits>%d\n", 42), 13 bytes + NULs.
        String tag = Integer.toString(ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000));
        byte[] fmt = ("b4j" + tag + "%d\n").getBytes();
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).put(fmt);
        Assembler asm = new Assembler()
                .ldImm64(Register.R1, b.getLong(0)).stxDW(Register.R10, -16, Register.R1)
                .ldImm64(Register.R1, b.getLong(8)).stxDW(Register.R10, -8, Register.R1)
                .mov64(Register.R1, Register.R10).add64(Register.R1, -16)
                .mov64(Register.R2, 16)
                .mov64(Register.R3, 42)
                .call("trace_printk")
                .mov64(Register.R0, 2)
                .exit();
        try (TracePipe pipe = TracePipe.open();
             Program p = Program.load(ProgramSpec.of("printk", ProgramType.XDP, asm.build()))) {
            p.testRun(TestRun.withData(new byte[64]));
            Optional<TraceLine> line = pipe.awaitLine(Duration.ofSeconds(60), // a bound for a hang only
                    l -> l.message().startsWith("b4j" + tag));
            assertThat(line).as("the program's line in trace_pipe").isPresent();
            TraceLine l = line.get();
            assertThat(l.message()).isEqualTo("b4j" + tag + "42");
            assertThat(l.pid()).isPositive();
            assertThat(l.cpu()).isBetween(0, Runtime.getRuntime().availableProcessors() - 1);
            assertThat(l.timestamp()).isPositive();
            assertThat(l.task()).isNotEmpty();
        }
    }

    @Test
    void splitsLinesAsBccDoes() {
        TraceLine l = TraceLine.parse(
                "           <...>-1234    [001] d..31  5678.901234: bpf_trace_printk: hello world");
        assertThat(l).isEqualTo(new TraceLine("<...>", 1234, 1, "d..31", 5678.901234, "hello world", l.raw()));
        TraceLine withTgid = TraceLine.parse(" java-77 (   70) [000] ..... 12.5: bpf_trace_printk: x=1");
        assertThat(withTgid.task()).isEqualTo("java");
        assertThat(withTgid.pid()).isEqualTo(77);
        assertThat(withTgid.message()).isEqualTo("x=1");
        TraceLine odd = TraceLine.parse("CPU:1 [LOST 3 EVENTS]");
        assertThat(odd.pid()).isEqualTo(-1);
        assertThat(odd.message()).isEqualTo("CPU:1 [LOST 3 EVENTS]");
    }
}
