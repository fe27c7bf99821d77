package io.bpf4j.core.dwarf;

import io.bpf4j.core.elf.ElfFile;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The DWARF of {@code src/test/c/dwarf/params.c}, built here by gcc as DWARF 4 and DWARF 5. */
class DwarfTest {
    @TempDir
    Path dir;

    private Dwarf build(int version) throws Exception {
        Path out = dir.resolve("params" + version);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-g", "-gdwarf-" + version, "-O0", "-o", out.toString(),
                    "src/test/c/dwarf/params.c").redirectErrorStream(true).start();
        } catch (java.io.IOException noGcc) {
            assumeTrue(false, "gcc is not installed: " + noGcc.getMessage());
            throw noGcc;
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(gcc.exitValue()).as(log).isZero();
        return Dwarf.of(ElfFile.read(out)).orElseThrow();
    }

    /** The type at {@code offset} with typedefs and qualifiers left as they are. */
    private static String c(Dwarf d, long offset) {
        if (offset < 0) return "void";
        return switch (d.type(offset)) {
            case Dwarf.Type.Base b -> b.name();
            case Dwarf.Type.Pointer p -> c(d, p.target()) + "*";
            case Dwarf.Type.Struct s -> (s.union() ? "union " : "struct ") + s.name();
            case Dwarf.Type.Array a -> c(d, a.element()) + "[" + a.count() + "]";
            case Dwarf.Type.Typedef t -> t.name();
            case Dwarf.Type.Qualified q -> q.qualifier() + " " + c(d, q.target());
            case Dwarf.Type.Enum e -> "enum " + e.name();
            case Dwarf.Type.Subroutine s -> "function";
        };
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5})
    void parametersInOrderWithTheirTypesAndFrameLocations(int version) throws Exception {
        Dwarf d = build(version);
        Dwarf.Function take = d.function("take").orElseThrow();
        assertThat(take.parameters()).extracting(Dwarf.Parameter::name)
                .containsExactly("n", "c", "text", "head", "len", "w", "argv");
        assertThat(take.parameters()).extracting(p -> c(d, p.type())).containsExactly("int*", "char",
                "const char*", "struct node*", "size_type", "union word", "char**");
        assertThat(c(d, take.returnType())).isEqualTo("int");
        // gcc -O0 keeps each parameter in its frame
        assertThat(take.parameters()).allSatisfy(p -> assertThat(p.location())
                .isInstanceOf(Dwarf.Location.FrameBase.class));
        assertThat(d.functions()).containsKeys("take", "main");
        assertThat(d.function("main").orElseThrow().parameters()).extracting(p -> c(d, p.type()))
                .containsExactly("int", "char**");
        Dwarf.Type.Typedef sizeType = (Dwarf.Type.Typedef) d.type(take.parameters().get(4).type());
        Dwarf.Type.Base ulong = (Dwarf.Type.Base) d.type(sizeType.target());
        assertThat(ulong.size()).isEqualTo(8);
        assertThat(ulong.signed()).isFalse();
        assertThat(((Dwarf.Type.Base) d.type(d.function("main").orElseThrow().parameters().getFirst().type()))
                .signed()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5})
    void structLayoutWithArraysBitfieldsAndSelfReference(int version) throws Exception {
        Dwarf d = build(version);
        Dwarf.Type.Struct node = (Dwarf.Type.Struct) d.type(d.struct("node", false).orElseThrow());
        assertThat(node.size()).isEqualTo(32);
        List<Dwarf.Member> m = node.members();
        assertThat(m).extracting(Dwarf.Member::name).containsExactly("value", "name", "pair", "flag", "mode", "next");
        assertThat(m).extracting(x -> c(d, x.type())).containsExactly("int", "char[10]", "short int[3]",
                "unsigned int", "unsigned int", "struct node*");
        assertThat(m).extracting(Dwarf.Member::offset).containsExactly(0, 4, 14, 20, 20, 24);
        assertThat(m.get(3).bitSize()).isEqualTo(3);
        assertThat(m.get(3).bitOffset()).isEqualTo(0);
        assertThat(m.get(4).bitSize()).isEqualTo(5);
        assertThat(m.get(4).bitOffset()).isEqualTo(3);
        Dwarf.Type.Struct word = (Dwarf.Type.Struct) d.type(d.struct("word", true).orElseThrow());
        assertThat(word.union()).isTrue();
        assertThat(word.size()).isEqualTo(4);
        assertThat(d.struct("word", false)).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5})
    void aBinaryWithoutDebugInfoHasNone(int version) throws Exception {
        Path out = dir.resolve("stripped");
        build(version);
        Files.copy(dir.resolve("params" + version), out);
        Process strip = new ProcessBuilder("strip", "--strip-debug", out.toString()).start();
        assertThat(strip.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(strip.exitValue()).as("strip --strip-debug " + out).isZero();
        assertThat(Dwarf.of(ElfFile.read(out))).isEmpty();
    }
}
