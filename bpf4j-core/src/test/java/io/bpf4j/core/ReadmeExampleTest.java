package io.bpf4j.core;

import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The example at the top of README.md, verbatim between the markers, so the README cannot rot. */
@KernelTest
class ReadmeExampleTest {
    @Test
    void readmeExampleRunsAsDocumented() {
        long seen;
        // README-BEGIN
        try (TypedMap<Integer, Long> packets = BpfMap.builder(MapType.ARRAY).name("packets")
                .maxEntries(1).build(Codec.INT, Codec.LONG)) {
            Instructions countAndPass = new Assembler()
                    .stW(Register.R10, -4, 0)                        // key = 0, on the stack
                    .loadMapFd(Register.R1, packets.map())
                    .mov64(Register.R2, Register.R10).add64(Register.R2, -4)
                    .call("map_lookup_elem")                         // r0 = &packets[0] or NULL
                    .jeq(Register.R0, 0, "out")
                    .mov64(Register.R1, 1)
                    .atomicAdd(Size.DW, Register.R0, 0, Register.R1) // packets[0] += 1
                    .label("out")
                    .mov64(Register.R0, 2)                           // XDP_PASS
                    .exit()
                    .build();
            try (Program xdp = Program.load(ProgramSpec.of("count_pass", ProgramType.XDP, countAndPass))) {
                TestRunResult r = xdp.testRun(TestRun.withData(new byte[64]).repeat(1000));
                System.out.println(r.returnValue() + " " + packets.get(0).orElseThrow()); // 2 1000
                // README-END
                assertThat(r.returnValue()).isEqualTo(2);
                seen = packets.get(0).orElseThrow();
            }
        }
        assertThat(seen).isEqualTo(1000);
    }
}
