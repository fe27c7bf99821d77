package io.bpf4j.bpftrace;

import io.bpf4j.core.kernel.Host;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Uprobe arguments by name and struct types from a binary's DWARF: {@code src/test/c/dwarf_args.c}, built here with
 * gcc -g, run with {@code -c} so that it starts once the probes are attached.
 */
@KernelTest
class DwarfKernelTest {
    @TempDir
    static Path dir;
    static Path binary;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue(Host.isRoot(), "uprobes need root");
        assumeTrue(Files.exists(Path.of("/sys/bus/event_source/devices/uprobe/type")), "no uprobe PMU");
        binary = dir.resolve("dwarf_args");
        Process gcc = new ProcessBuilder("gcc", "-g", "-O0", "-o", binary.toString(), "src/test/c/dwarf_args.c")
                .redirectErrorStream(true).start();
        String out = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(gcc.exitValue()).as("gcc: " + out).isZero();
    }

    private static String run(String program) throws Exception {
        Options options = Options.defaults().withQuiet(true).withCommand(List.of(binary.toString()));
        try (BpfTrace bt = BpfTrace.compile(program, options)) {
            StringWriter text = new StringWriter();
            CompletableFuture<Void> done = CompletableFuture.runAsync(() -> bt.run(new PrintWriter(text, true)));
            assertThat(bt.awaitAttached(Duration.ofSeconds(30))).as("attached").isTrue();
            done.get(60, TimeUnit.SECONDS);
            return text.toString();
        }
    }

    @Test
    void argumentsByNameAndTheirStructsMembers() throws Exception {
        String out = run("uprobe:" + binary + ":measure { printf(\"%c %d %d %s|\", args->c, *(args->n), "
                + "args->p->x, args->p->label); print(args->p->steps); "
                + "printf(\"%d\\n\", ((struct Point *)arg2)->x); }");
        assertThat(out).startsWith("x 13 -42 origin|[1,2,3]\n-42\n");
    }

    @Test
    void theProgramsOwnStructWinsOverTheBinarys() throws Exception {
        String out = run("struct Point { short low; short high; } uprobe:" + binary + ":measure "
                + "{ printf(\"%d %d\\n\", ((struct Point *)arg2)->low, ((struct Point *)arg2)->high); }");
        assertThat(out).startsWith("-42 -1\n");
    }

    @Test
    void verboseListingShowsTheArgumentsAsBpftraceSpellsThem() {
        assertThat(BpfTrace.list("uprobe:" + binary + ":measure", true, 0)).containsExactly(
                "uprobe:" + binary + ":measure", "    int* n", "    char c", "    struct Point* p");
    }
}
