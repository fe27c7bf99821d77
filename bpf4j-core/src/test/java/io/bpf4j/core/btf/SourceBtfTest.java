package io.bpf4j.core.btf;

import io.bpf4j.core.Program;
import io.bpf4j.core.VerifierException;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.kernel.LoadedBtf;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.bpf4j.core.asm.Register.R0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The BTF a compiler gives the programs it generates: a function and the source lines of its instructions. */
class SourceBtfTest {
    private static final List<SourceBtf.Line> LINES = List.of(
            new SourceBtf.Line(0, 1, 1, "BEGIN {"),
            new SourceBtf.Line(1, 2, 3, "  spin();"),
            new SourceBtf.Line(1, 2, 5, "  spin();"),
            new SourceBtf.Line(2, 3, 1, "}"));

    @Test
    void encodesAFunctionAndLineInfoWhoseStringsAreInItsStringSection() {
        SourceBtf btf = SourceBtf.of("script.bt", List.of(new SourceBtf.Function("BEGIN", LINES),
                new SourceBtf.Function("END", List.of(new SourceBtf.Line(0, 4, 1, "END { }")))));
        Btf parsed = Btf.parse(btf.raw());
        assertThat(btf.functionTypeIds()).hasSize(2);
        assertThat(parsed.type(btf.functionTypeIds().get(0))).isInstanceOfSatisfying(BtfType.Func.class,
                f -> assertThat(f.name()).isEqualTo("BEGIN"));
        assertThat(parsed.type(btf.functionTypeIds().get(1))).isInstanceOfSatisfying(BtfType.Func.class,
                f -> assertThat(f.name()).isEqualTo("END"));
        // one record per slot: the last line given for a slot
        assertThat(btf.lineInfo().get(0)).extracting(BtfExt.LineInfo::insnOffset).containsExactly(0, 1, 2);
        assertThat(parsed.string(btf.lineInfo().get(1).getFirst().lineOff())).isEqualTo("END { }");
        BtfExt.LineInfo call = btf.lineInfo().get(0).get(1);
        assertThat(call.line()).isEqualTo(2);
        assertThat(call.column()).isEqualTo(5);
        assertThat(parsed.string(call.lineOff())).isEqualTo("  spin();");
        assertThat(parsed.string(call.fileNameOff())).isEqualTo("script.bt");
    }

    @Test
    void theFirstLineIsAtSlotZeroAndLinesAscend() {
        assertThatThrownBy(() -> SourceBtf.of("x", List.of(new SourceBtf.Function("f",
                List.of(new SourceBtf.Line(1, 1, 1, "a")))))).hasMessageContaining("slot 0");
        assertThatThrownBy(() -> SourceBtf.of("x", List.of(new SourceBtf.Function("f", List.of(
                new SourceBtf.Line(0, 1, 1, "a"), new SourceBtf.Line(3, 1, 1, "a"),
                new SourceBtf.Line(2, 1, 1, "a")))))).hasMessageContaining("ascending");
    }

    @Test
    @KernelTest
    void theVerifierQuotesTheSourceLinesAndARejectionNamesItsLine() {
        // 0: r0 = 0; 1: if r0 == 0 goto 1 — a loop the verifier sees never end; 2: exit
        var insns = new Assembler().mov64(R0, 0).label("top").jeq(R0, 0, "top").exit().build();
        SourceBtf btf = SourceBtf.of("script.bt", List.of(new SourceBtf.Function("spin", LINES)));
        try (LoadedBtf loaded = LoadedBtf.load(btf.raw())) {
            ProgramSpec spec = ProgramSpec.of("spin", ProgramType.SOCKET_FILTER, insns).withBtf(loaded.fd())
                    .withFuncInfo(List.of(new ProgramSpec.FuncInfo(0, btf.functionTypeIds().getFirst())))
                    .withLineInfo(btf.lineInfo().getFirst());
            assertThatThrownBy(() -> Program.load(spec)).isInstanceOfSatisfying(VerifierException.class, v -> {
                assertThat(v.log()).contains("; spin(); @ script.bt:2");
                assertThat(v.failingInstruction()).hasValue(1);
                assertThat(v.getMessage()).contains("at script.bt:2: spin();");
            });
        }
    }
}
