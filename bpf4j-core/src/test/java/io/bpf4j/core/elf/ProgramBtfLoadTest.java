package io.bpf4j.core.elf;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.MapInfo;
import io.bpf4j.core.ProgramInfo;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.VerifierException;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Objects load with their BTF: the kernel takes the sanitized program BTF, programs get func and line info rebased
 * to their linked layout (callbacks need it), maps get key/value types, and a verifier rejection names the C line.
 */
@KernelTest
class ProgramBtfLoadTest {

    @BeforeEach
    void needsRoot() {
        assumeTrue(Host.isRoot(), "loading BPF objects needs root (CAP_BPF)");
    }

    @Test
    void callbackProgramLoadsWithFuncInfoAndRuns() {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("callback"))) {
            ProgramInfo info = obj.program("sum_loop").info();
            assertThat(info.btfId()).isPositive();
            assertThat(info.funcInfoCount()).isEqualTo(2); // sum_loop and the add_index callback
            assertThat(info.lineInfoCount()).isPositive();
            assertThat(obj.program("sum_loop").testRun(TestRun.withContext(new byte[0])).returnValue())
                    .isEqualTo(0 + 1 + 2 + 3);
        }
    }

    @Test
    void subprogramsFromTextGetRebasedFuncInfo() {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("subprograms"))) {
            // sock_a links add_twice and twice; sock_b minus_one, add_twice, twice; tc_plain twice
            assertThat(obj.program("sock_a").info().funcInfoCount()).isEqualTo(3);
            assertThat(obj.program("sock_b").info().funcInfoCount()).isEqualTo(4);
            assertThat(obj.program("tc_plain").info().funcInfoCount()).isEqualTo(2);
            for (var p : obj.programs().values()) {
                assertThat(p.info().btfId()).as(p.name()).isPositive();
                assertThat(p.info().lineInfoCount()).as(p.name()).isPositive();
            }
        }
    }

    @Test
    void mapsCarryBtfKeyAndValueTypes() {
        try (BpfObject obj = BpfObject.load(ObjectSpecTest.spec("xdp_rodata"))) {
            MapInfo packets = obj.map("packets").info();
            assertThat(packets.btfId()).isPositive();
            assertThat(packets.btfValueTypeId()).isPositive();
            MapInfo rodata = obj.map(".rodata").info();
            assertThat(rodata.btfId()).isPositive();
            assertThat(rodata.btfValueTypeId()).isPositive(); // the .rodata DATASEC
            // bpftool prints the values as structs / sections thanks to the BTF
            String dump = Fixtures.run(List.of("bpftool", "map", "dump", "id", Integer.toString(rodata.id())));
            assertThat(dump).contains("verdict");
        }
    }

    @Test
    void verifierRejectionNamesTheSourceLine() throws IOException {
        ObjectSpec spec = ObjectSpecTest.spec("verifier_null_deref");
        List<String> source = Files.readAllLines(Fixtures.SOURCES.resolve("verifier_null_deref.bpf.c"));
        int line = 0;
        for (int i = 0; i < source.size(); i++) if (source.get(i).contains("*value += 1;")) line = i + 1;
        assertThat(line).isPositive();
        try (BpfObject obj = BpfObject.load(spec)) {
            fail("the verifier accepted a NULL dereference: " + obj.programs());
        } catch (VerifierException e) {
            assertThat(e.getMessage())
                    .contains("invalid mem access 'map_value_or_null'")
                    .contains("at verifier_null_deref.bpf.c:" + line + ": ")
                    .contains("*value += 1;");
        }
        assertThatThrownBy(() -> BpfObject.load(spec)).isInstanceOf(VerifierException.class);
    }
}
