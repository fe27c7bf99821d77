package io.bpf4j.cli;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tool that runs out of Java heap — the launcher caps it — says so in one line with the way to raise it, whichever
 * thread ran out (offcputime's stack-naming thread reads /proc/kallsyms, far more than 6 MB), exits 1 and leaves no
 * link behind.
 */
@KernelTest
class OutOfHeapTest {
    @Test
    void outOfHeapIsOneLineExit1AndReleasesEverything() throws Exception {
        ObjectCommandTest.root();
        List<Integer> linksBefore = KernelObjects.linkIds();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path err = Files.createTempFile("bpf4j-oom", ".err");
        Process tool = new ProcessBuilder(java, "-Xmx6m", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "offcputime", "-d", "600")
                .redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // a bound for a hang only: it runs out of heap while naming the first stacks
        assertThat(tool.waitFor(120, TimeUnit.SECONDS)).as("offcputime ended").isTrue();
        assertThat(tool.exitValue()).isEqualTo(1);
        assertThat(Files.readAllLines(err)).singleElement().asString()
                .matches("bpf4j: out of Java heap \\(at most \\d+ MB\\); give the JVM more, e\\.g\\. "
                        + "BPF4J_JAVA_OPTS=-Xmx1g");
        assertThat(KernelObjects.linkIds()).as("links after it exited").isSubsetOf(linksBefore);
        Files.delete(err);
    }
}
