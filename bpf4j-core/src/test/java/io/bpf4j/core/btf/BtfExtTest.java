package io.bpf4j.core.btf;

import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.object.ObjectSpec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code .BTF.ext} of clang-19 output: func info, line info (checked against the C source), CO-RE records. */
class BtfExtTest {

    record Parsed(Btf btf, BtfExt ext) {
    }

    static Parsed parse(String fixture) {
        ObjectSpec spec = ObjectSpec.read(Fixtures.object(fixture));
        Btf btf = Btf.parse(spec.btf());
        return new Parsed(btf, BtfExt.parse(spec.btfExt(), btf));
    }

    @Test
    void funcInfoOfProgramAndCallback() {
        Parsed p = parse("callback");
        List<BtfExt.FuncInfo> main = p.ext().funcInfo("syscall");
        assertThat(main).hasSize(1);
        assertThat(main.getFirst().insnOffset()).isZero();
        assertThat(p.btf().type(main.getFirst().typeId()).name()).isEqualTo("sum_loop");
        List<BtfExt.FuncInfo> text = p.ext().funcInfo(".text");
        assertThat(text).extracting(f -> p.btf().type(f.typeId()).name()).containsExactly("add_index");
        assertThat(p.ext().sections()).contains("syscall", ".text");
    }

    @Test
    void lineInfoMatchesTheSource() throws IOException {
        Parsed p = parse("subprograms");
        List<String> source = Files.readAllLines(Path.of("src/test/c/subprograms.bpf.c"));
        int checked = 0;
        for (var entry : p.ext().lineInfo().entrySet()) {
            int previous = -1;
            for (BtfExt.LineInfo l : entry.getValue()) {
                assertThat(l.insnOffset() % 8).isZero();
                assertThat(l.insnOffset()).isGreaterThan(previous);
                previous = l.insnOffset();
                assertThat(l.fileName()).endsWith("subprograms.bpf.c");
                assertThat(l.location()).isEqualTo("subprograms.bpf.c:" + l.line());
                assertThat(l.line()).isBetween(1, source.size());
                assertThat(source.get(l.line() - 1).strip()).isEqualTo(l.lineText().strip());
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(5);
        assertThat(p.ext().lineAt("socket", 0)).isPresent();
    }

    @Test
    void coreRelocationsOfEveryFamily() {
        Parsed p = parse("btfext_core");
        List<BtfExt.CoreRelocation> relos = p.ext().coreRelocations("raw_tp/sys_enter");
        assertThat(relos).extracting(BtfExt.CoreRelocation::kind).contains(BtfExt.CoreReloKind.FIELD_EXISTS,
                BtfExt.CoreReloKind.FIELD_BYTE_SIZE, BtfExt.CoreReloKind.FIELD_BYTE_OFFSET,
                BtfExt.CoreReloKind.TYPE_SIZE, BtfExt.CoreReloKind.ENUMVAL_EXISTS,
                BtfExt.CoreReloKind.ENUMVAL_VALUE);
        BtfExt.CoreRelocation exists = relos.stream()
                .filter(r -> r.kind() == BtfExt.CoreReloKind.FIELD_EXISTS).findFirst().orElseThrow();
        assertThat(p.btf().type(exists.typeId()).name()).isEqualTo("task_like");
        assertThat(exists.accessString()).isEqualTo("0:1"); // t->state: *t, member 1
        assertThat(exists.accessPath()).containsExactly(0, 1);
        assertThat(exists.kind().isField()).isTrue();
        BtfExt.CoreRelocation enumValue = relos.stream()
                .filter(r -> r.kind() == BtfExt.CoreReloKind.ENUMVAL_VALUE).findFirst().orElseThrow();
        assertThat(p.btf().type(enumValue.typeId()).name()).isEqualTo("mode_like");
        assertThat(enumValue.accessString()).isEqualTo("1"); // MODE_B is enumerator 1
        for (BtfExt.CoreRelocation r : relos) assertThat(r.insnOffset() % 8).isZero();
    }

    @Test
    void kindCodesAreTheKernels() {
        assertThat(BtfExt.CoreReloKind.values()).hasSize(13);
        assertThat(BtfExt.CoreReloKind.ofCode(0)).isEqualTo(BtfExt.CoreReloKind.FIELD_BYTE_OFFSET);
        assertThat(BtfExt.CoreReloKind.ofCode(7)).isEqualTo(BtfExt.CoreReloKind.TYPE_ID_TARGET);
        assertThat(BtfExt.CoreReloKind.ofCode(12)).isEqualTo(BtfExt.CoreReloKind.TYPE_MATCHES);
        assertThat(BtfExt.CoreReloKind.ofCode(13)).isNull();
    }

    @Test
    void malformedInputNamesTheOffset() {
        ObjectSpec spec = ObjectSpec.read(Fixtures.object("callback"));
        Btf btf = Btf.parse(spec.btf());
        byte[] ext = spec.btfExt();
        byte[] badMagic = ext.clone();
        badMagic[0] = 0;
        assertThatThrownBy(() -> BtfExt.parse(badMagic, btf)).isInstanceOf(BtfException.class)
                .hasMessageContaining("at byte 0");
        assertThatThrownBy(() -> BtfExt.parse(Arrays.copyOf(ext, ext.length - 3), btf))
                .isInstanceOf(BtfException.class).hasMessageContaining("malformed .BTF.ext at byte");
        byte[] badRecSize = ext.clone();
        ByteBuffer b = ByteBuffer.wrap(badRecSize).order(ByteOrder.LITTLE_ENDIAN);
        int funcStart = b.getInt(4) + b.getInt(8);
        b.putInt(funcStart, 3);
        assertThatThrownBy(() -> BtfExt.parse(badRecSize, btf)).isInstanceOf(BtfException.class)
                .hasMessageContaining("at byte " + funcStart).hasMessageContaining("record size");
        assertThat(BtfExt.empty().funcInfo("x")).isEmpty();
    }
}
