package io.bpf4j.core.link;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Tracepoints through perf events and BPF_PERF_EVENT links. */
@KernelTest
class TracepointTest {
    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "attaching tracepoints needs root");
    }

    /** A tracepoint program adding 1 to element 0 of {@code counts} when the current process is {@code pid}. */
    static Program countingProgram(BpfMap counts, long pid) {
        return Program.load(ProgramSpec.of("bpf4j_tp_count", ProgramType.TRACEPOINT, new Assembler()
                .call(Helper.GET_CURRENT_PID_TGID)
                .rsh64(Register.R0, 32)
                .jne(Register.R0, (int) pid, "out")
                .loadMapFd(Register.R1, counts)
                .stW(Register.R10, -4, 0)
                .mov64(Register.R2, Register.R10)
                .add64(Register.R2, -4)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(Register.R0, 0, "out")
                .mov64(Register.R1, 1)
                .atomicAdd(Size.DW, Register.R0, 0, Register.R1)
                .label("out")
                .mov64(Register.R0, 0)
                .exit()
                .build()));
    }

    static long count(BpfMap counts) {
        byte[] v = counts.lookup(new byte[4]).orElseThrow();
        return ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong();
    }

    @Test
    void countsOpenatWhileAttachedAndNotAfterClose(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("bpf4j-tracepoint-probe"), "x");
        long pid = ProcessHandle.current().pid();
        try (BpfMap counts = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("tp_counts").keySize(4)
                .valueSize(8).maxEntries(1).build());
             Program prog = countingProgram(counts, pid)) {
            Link link = Tracepoint.attach(prog, "syscalls", "sys_enter_openat");
            try (link) {
                assertThat(link.info().type()).as("a perf_event BPF link").isEqualTo(7);
                assertThat(link.description()).contains("syscalls:sys_enter_openat");
                for (int i = 0; i < 50; i++) Files.readString(file);
                assertThat(count(counts)).as("openat calls seen").isGreaterThanOrEqualTo(50);
            }
            long after = count(counts);
            for (int i = 0; i < 50; i++) Files.readString(file);
            assertThat(count(counts)).as("no more counts once closed").isEqualTo(after);
            assertThat(link.toString()).contains("closed");
        }
    }

    @Test
    void missingTracepointListsCloseMatches() {
        try (BpfMap counts = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("tp_counts").keySize(4)
                .valueSize(8).maxEntries(1).build());
             Program prog = countingProgram(counts, 1)) {
            assertThatThrownBy(() -> Tracepoint.attach(prog, "syscalls", "sys_enter_opnat"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no tracepoint syscalls:sys_enter_opnat")
                    .hasMessageContaining("syscalls:sys_enter_openat");
            assertThatThrownBy(() -> Tracepoint.attach(prog, "sycalls", "sys_enter_openat"))
                    .hasMessageContaining("no tracepoint category 'sycalls'")
                    .hasMessageContaining("syscalls");
        }
    }

    @Test
    void onlyTracepointProgramsAttach() {
        try (Program p = Program.load(ProgramSpec.of("xdp_pass", ProgramType.XDP,
                new Assembler().mov64(Register.R0, 2).exit().build()))) {
            assertThatThrownBy(() -> Tracepoint.attach(p, "syscalls", "sys_enter_openat"))
                    .hasMessageContaining("only tracepoint programs");
        }
    }

    @Test
    void closestNamesComeFirst() {
        assertThat(Tracepoint.closest(List.of("sched_switch", "sched_wakeup", "sched_waking", "irq_handler_entry"),
                "sched_wakup")).startsWith("sched_wakeup").doesNotContain("irq_handler_entry");
        assertThat(Tracepoint.distance("kitten", "sitting")).isEqualTo(3);
    }
}
