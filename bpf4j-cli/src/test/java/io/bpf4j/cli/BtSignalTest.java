package io.bpf4j.cli;

import io.bpf4j.bpftrace.BpfTrace;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bpf4j bt} in its own JVM, named as the launcher names it when run as {@code bpftrace}, signalled as
 * bpftrace's runtime tests signal bpftrace: SIGUSR1 prints the maps and tracing goes on; SIGINT ends it with END and
 * the maps, status 0, even when it was started with SIGINT ignored (a shell's background command).
 */
@KernelTest
class BtSignalTest {
    @Test
    void namedBpftraceAnswersUsr1AndAnIgnoredInt() throws Exception {
        ObjectCommandTest.root();
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder("env", "--ignore-signal=INT", java, "--enable-native-access=ALL-UNNAMED",
                "-D" + BtCommand.PROCESS_NAME_PROPERTY + "=bpftrace", "-cp", System.getProperty("java.class.path"),
                "io.bpf4j.cli.Main", "bt", "-e", "BEGIN { @x = 5; } END { printf(\"end %s\\n\", comm); }")
                .redirectErrorStream(true);
        pb.environment().put(BpfTrace.NOTIFY_ENV, "1");
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
        List<String> lines = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null && !line.equals(BpfTrace.NOTIFY_ENV)) lines.add(line);
        assertThat(line).as("attached; before: %s", lines).isEqualTo(BpfTrace.NOTIFY_ENV);
        assertThat(Files.readString(Path.of("/proc/" + p.pid() + "/comm")).strip()).isEqualTo("bpftrace");

        new ProcessBuilder("kill", "-USR1", String.valueOf(p.pid())).start().waitFor();
        while ((line = out.readLine()) != null && !line.startsWith("@x")) lines.add(line);
        assertThat(line).as("the maps on SIGUSR1").isEqualTo("@x: 5");
        assertThat(p.isAlive()).as("still tracing after SIGUSR1").isTrue();

        new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start().waitFor();
        // a bound for a hang only
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited after SIGINT").isTrue();
        List<String> rest = new ArrayList<>();
        while ((line = out.readLine()) != null) rest.add(line);
        assertThat(rest).containsExactly("end bpftrace", "", "", "@x: 5");
        assertThat(p.exitValue()).isZero();
    }
}
