package io.bpf4j.bpftrace;

import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.link.Usdt;
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
 * USDT probes of a fixture built here with gcc ({@code src/test/c/usdt_args.c}), run with {@code -c} so that it
 * starts only once every probe is attached.
 */
@KernelTest
class UsdtKernelTest {
    @TempDir
    static Path dir;
    /** The fixture, at a path long enough that a probe's name is longer than a string's default 64 bytes. */
    static Path binary;

    @BeforeAll
    static void build() throws Exception {
        assumeTrue(Host.isRoot(), "uprobes need root");
        assumeTrue(Files.exists(Path.of("/sys/bus/event_source/devices/uprobe/type")), "no uprobe PMU");
        assumeTrue(Files.exists(Path.of("/usr/include/sys/sdt.h"))
                || Files.exists(Path.of("/usr/include/x86_64-linux-gnu/sys/sdt.h")), "sys/sdt.h missing: apt-get "
                + "install systemtap-sdt-dev");
        Path deep = Files.createDirectories(dir.resolve("a-directory-whose-name-makes-the-probe-name-long"));
        binary = deep.resolve("usdt_args");
        Process gcc = new ProcessBuilder("gcc", "-O1", "-o", binary.toString(), "src/test/c/usdt_args.c")
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
    void constantsAreNarrowedToTheirSizeAndIndexedOperandsAreRead() throws Exception {
        String out = run("usdt:" + binary + ":bt:const_*, usdt:" + binary + ":bt:indexed "
                + "{ printf(\"%s %lld\\n\", probe, arg0); }");
        // gcc wrote -8@(%rsp,%rdx,8) (the register may vary), 4@$-16, -2@$-3600; a probe's name is its whole path
        assertThat(Usdt.find(binary, "bt", "indexed").getFirst().args().getFirst().kind())
                .isEqualTo(Usdt.Kind.INDEXED_DEREF);
        assertThat(out.lines().filter(l -> !l.isEmpty()).toList()).containsExactly(
                "usdt:" + binary + ":bt:indexed -3007",
                "usdt:" + binary + ":bt:const_u32 4294967280",
                "usdt:" + binary + ":bt:const_s16 -3600");
        assertThat(("usdt:" + binary + ":bt:const_u32").length()).isGreaterThan(64);
    }

    @Test
    void aQuotedProbeNameMayHoldQuotes() throws Exception {
        String out = run("usdt:" + binary + ":bt:\"\\\"quoted\\\"\" { printf(\"%s %d\\n\", probe, arg0); }");
        // the blank lines are those bpftrace prints at exit
        assertThat(out).isEqualTo("usdt:" + binary + ":bt:\"quoted\" 3\n\n\n");
    }
}
