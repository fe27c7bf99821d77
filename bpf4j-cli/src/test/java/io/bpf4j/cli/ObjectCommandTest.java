package io.bpf4j.cli;

import io.bpf4j.core.kernel.Host;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code bpf4j object show|load} in-process on the core module's fixtures (compiled with clang-19) and libbpf-tools. */
@KernelTest
class ObjectCommandTest {
    private static final Path SOURCES = Path.of("../bpf4j-core/src/test/c");
    private static final Path OUT = Path.of("target/bpf-fixtures");

    static Path fixture(String name) throws IOException, InterruptedException {
        Path object = OUT.resolve(name + ".bpf.o");
        Files.createDirectories(OUT);
        Process p;
        try {
            p = new ProcessBuilder("clang-19", "-target", "bpf", "-O2", "-g", "-I", "/usr/include/x86_64-linux-gnu",
                    "-c", SOURCES.resolve(name + ".bpf.c").toString(), "-o", object.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "clang-19 is not installed");
            throw e;
        }
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        assertThat(p.exitValue()).as(out).isZero();
        return object;
    }

    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "loading objects needs root");
    }

    @Test
    void showListsProgramsMapsGlobalsAndExterns() throws Exception {
        String file = fixture("xdp_rodata").toString();
        FeatureCommandTest.Run r = FeatureCommandTest.run("object", "show", file);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains(file + ": license \"Dual BSD/GPL\"")
                .containsPattern("xdp_count\\s+xdp\\s+xdp\\s+xdp\\s+-\\s+\\d+")
                .containsPattern("\\.rodata\\s+array\\s+4\\s+16\\s+1\\s+0x480")
                .containsPattern("\\.rodata\\s+magic\\s+8\\s+1234605616436508552 \\(0x1122334455667788\\)")
                .contains("btf: ").contains(".BTF.ext");

        r = FeatureCommandTest.run("object", "show", fixture("externs").toString());
        assertThat(r.out()).containsPattern("LINUX_KERNEL_VERSION\\s+__kconfig")
                .containsPattern("bpf_task_acquire\\s+__ksym kfunc").containsPattern("on_switch\\s+tp_btf/sched_switch");
    }

    @Test
    void showJson() throws Exception {
        FeatureCommandTest.Run r = FeatureCommandTest.run("object", "show", "--json", fixture("xdp_rodata").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).startsWith("[{\"object\":").endsWith("}]")
                .contains("\"name\":\"xdp_count\",\"section\":\"xdp\"", "\"variable\":\"verdict\"", "\"ext_bytes\":");
    }

    @Test
    void loadReportsEachProgram() throws Exception {
        String file = fixture("attach_targets").toString();
        FeatureCommandTest.Run r = FeatureCommandTest.run("object", "load", "--each", file);
        List<String> lines = r.out().lines().toList();
        assertThat(lines).anyMatch(l -> l.matches(".*on_switch\\s+tp_btf/sched_switch\\s+loaded\\s+\\d+"));
        assertThat(lines).anyMatch(l -> l.matches(".*each_task\\s+\\?iter/task\\s+loaded\\s+\\d+"));
        assertThat(lines).anyMatch(l -> l.matches(".*misspelled\\s+\\?tp_btf/sched_swtich\\s+failed\\s+-\\s+.*"
                + "btf_trace_sched_swtich.*"));
        assertThat(r.exit()).isEqualTo(1); // the misspelled one fails

        r = FeatureCommandTest.run("object", "load", "--json", "--program", "on_switch", file);
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("\"program\":\"on_switch\"", "\"result\":\"loaded\"");

        r = FeatureCommandTest.run("object", "load", "--set", "verdict=1", fixture("xdp_rodata").toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("2 loaded, 0 failed");
    }

    @Test
    void loadEachOnLibbpfTools() {
        Path tool = Path.of("/usr/sbin/runqlat");
        assumeTrue(Files.exists(tool), "libbpf-tools is not installed");
        FeatureCommandTest.Run r = FeatureCommandTest.run("object", "load", "--each", tool.toString());
        assertThat(r.out()).containsPattern("runqlat#1\\s+sched_switch\\s+tp_btf/sched_switch\\s+loaded\\s+\\d+");
        System.out.println(r.out());
    }
}
