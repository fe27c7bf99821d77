package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.ast.SourceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Checks and user-space parts of builtins that need no kernel: array bounds, uptr/kptr, cat()'s limit. */
class LanguageExtrasTest {
    @Test
    void aConstantIndexPastAnArrayIsAnError() {
        assertThatThrownBy(() -> BpfTrace.check("struct A { int x[4]; } BEGIN { $a = (struct A *) 0; $x = $a->x[5]; }",
                CheckerTest.CATALOG, List.of())).isInstanceOf(SourceException.class)
                .hasMessageContaining("the index 5 is out of bounds for array of size 4");
        BpfTrace.check("struct A { int x[4]; } BEGIN { $a = (struct A *) 0; $x = $a->x[3]; }", CheckerTest.CATALOG,
                List.of());
    }

    @Test
    void uptrAndKptrKeepTheirArgumentsType() {
        BpfTrace.check("t:syscalls:sys_enter_openat { @[str(uptr(args->filename))] = count(); @k = kptr(0); }",
                CheckerTest.CATALOG, List.of());
        assertThatThrownBy(() -> BpfTrace.check("BEGIN { @x = uptr(\"s\"); }", CheckerTest.CATALOG, List.of()))
                .hasMessageContaining("uptr() takes a pointer");
    }

    @Test
    void catPrintsAtMostItsLimit(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "12345\n");
        assertThat(BpfTrace.catFile(f.toString(), 1)).isEqualTo("1");
        assertThat(BpfTrace.catFile(f.toString(), 10240)).isEqualTo("12345\n");
        assertThat(BpfTrace.catFile(dir.resolve("nope").toString(), 10)).startsWith("ERROR: failed to open file");
    }
}
