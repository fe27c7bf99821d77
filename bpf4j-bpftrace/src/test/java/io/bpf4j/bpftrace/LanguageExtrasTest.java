package io.bpf4j.bpftrace;

import io.bpf4j.bpftrace.ast.SourceException;
import io.bpf4j.bpftrace.check.ProbeTarget;
import io.bpf4j.core.link.Uprobe;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Checks and user-space parts that need no kernel: array bounds, uptr/kptr, uprobes by address and offset, cat()'s
 * limit.
 */
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
    void uprobesByAddressAndOffsetAreCheckedAgainstTheFunctionSymbols() {
        Path self = Path.of(ProcessHandle.current().info().command().orElseThrow());
        Uprobe.Function main = Uprobe.functionSymbols(self).stream().filter(f -> f.name().equals("main")).findFirst()
                .orElseThrow();
        var a = BpfTrace.check("uprobe:" + self + ":0x" + Long.toHexString(main.address()) + " { }",
                CheckerTest.CATALOG, List.of());
        assertThat(((ProbeTarget.Uprobe) a.probes().getFirst().targets().getFirst()).symbol()).isEqualTo("main");
        assertThatThrownBy(() -> BpfTrace.check("uprobe:" + self + ":10 { }", CheckerTest.CATALOG, List.of()))
                .hasMessageContaining("Could not resolve address: " + self + ":0xa");
        assertThatThrownBy(() -> BpfTrace.check("uprobe:" + self + ":main+" + main.size() + " { }",
                CheckerTest.CATALOG, List.of()))
                .hasMessageContaining("Offset outside the function bounds ('main' size is " + main.size() + ")");
    }

    @Test
    void catPrintsAtMostItsLimit(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("f"), "12345\n");
        assertThat(BpfTrace.catFile(f.toString(), 1)).isEqualTo("1");
        assertThat(BpfTrace.catFile(f.toString(), 10240)).isEqualTo("12345\n");
        assertThat(BpfTrace.catFile(dir.resolve("nope").toString(), 10)).startsWith("ERROR: failed to open file");
    }
}
