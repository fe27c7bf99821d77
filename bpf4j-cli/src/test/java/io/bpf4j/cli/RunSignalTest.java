package io.bpf4j.cli;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bpf4j run} in its own JVM, stopped by a real signal as a user stops it (Ctrl-C is SIGINT, kill and
 * systemd send SIGTERM): it exits promptly, prints its maps first, and leaves no link behind.
 */
@KernelTest
class RunSignalTest {
    @ParameterizedTest
    @ValueSource(strings = {"INT", "TERM"})
    void exitsPromptlyWithEverythingDetached(String signal) throws Exception {
        ObjectCommandTest.root();
        Path object = ObjectCommandTest.fixture("run_opensnoop");
        String java = ProcessHandle.current().info().command().orElse("java");
        // SIGINT at its default: a JVM started with it ignored (a test run launched in the background) ignores it
        Process p = new ProcessBuilder("env", "--default-signal=INT", java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "io.bpf4j.cli.Main", "run", object.toString())
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null) { // wait until it says it is attached
            lines.add(line);
            if (line.contains("program(s) attached")) break;
        }
        assertThat(lines).as("the runner's start").anyMatch(l -> l.contains("1 program(s) attached"));
        // the runner's own links: the kernel's list changes as other processes make and drop theirs
        List<Integer> runnersLinks = ProcessLinks.of(p.pid());
        assertThat(runnersLinks).as("the runner's link exists").hasSize(1);

        long sent = System.nanoTime();
        new ProcessBuilder("kill", "-" + signal, String.valueOf(p.pid())).start().waitFor();
        // a bound for a hang only: how fast a tool exits is measured by bpf4j-bench/run-tool-startup-bench
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited within 60 s of SIG%s", signal).isTrue();
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        while ((line = out.readLine()) != null) lines.add(line);

        assertThat(lines).as("maps printed at exit, after SIG%s (%d ms)", signal, tookMs)
                .anyMatch(l -> l.startsWith("@opens_by_pid"))
                .anyMatch(l -> l.contains("detached"));
        assertThat(KernelObjects.linkIds()).as("links after exit").doesNotContainAnyElementsOf(runnersLinks);
    }
}
