package io.bpf4j.cli;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a tool attached to goes away while it runs — xdpfilter's interface is deleted, memleak's process exits: the
 * tool says so in one line and stops (it used to carry on, showing nothing), with its links detached. Each runs in
 * a JVM of its own ({@link Main}) until it says it is attached; then the test removes its target.
 */
@KernelTest
class TargetGoneTest {
    /** A finished run of a tool in its own JVM. */
    private record Ended(int exit, String out, String err) {
    }

    @Test
    void xdpfilterStopsWhenItsInterfaceIsDeleted() throws Exception {
        ObjectCommandTest.root();
        String iface = "b4jgone" + ThreadLocalRandom.current().nextInt(10_000, 100_000);
        ip("link", "add", iface, "type", "veth", "peer", "name", iface + "p");
        try {
            Ended r = runUntil("Dropping packets from", () -> ip("link", "del", iface),
                    "xdpfilter", "-i", iface, "10.255.255.1", "1");
            assertThat(r.exit()).as(r.err()).isEqualTo(1);
            assertThat(r.err().lines().toList()).containsExactly("bpf4j: network interface " + iface + " is gone: "
                    + "its XDP program went with it, and packets are no longer filtered; stopped");
            assertThat(r.out()).as("the drops per prefix, printed before it stopped").contains("PREFIX");
        } finally {
            new ProcessBuilder("ip", "link", "del", iface).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        }
    }

    @Test
    void memleakStopsWhenItsProcessExits() throws Exception {
        ObjectCommandTest.root();
        Process target = new ProcessBuilder("sleep", "600").start();
        try {
            Ended r = runUntil("Attaching to pid", () -> {
                target.destroy();
                target.waitFor();
            }, "memleak", "-p", String.valueOf(target.pid()), "60");
            // its target's end is the end of its work, not a failure: the last report, a note, exit code 0
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err().lines().toList()).contains("memleak: process " + target.pid() + " exited; stopped")
                    .noneMatch(l -> l.startsWith("bpf4j:") || l.contains("Exception"));
            assertThat(r.out()).contains("stacks with outstanding allocations");
        } finally {
            target.destroyForcibly().waitFor();
        }
    }

    private interface Action {
        void run() throws Exception;
    }

    /**
     * Runs {@code bpf4j ARGS} in its own JVM until its stdout shows {@code attached}, does {@code removeTarget}, and
     * waits (at most 30 s) for it to exit; checks that the links it made are gone.
     */
    private static Ended runUntil(String attached, Action removeTarget, String... args) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile("bpf4j-target-gone", ".err");
        Process tool = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(tool.getInputStream()));
            StringBuilder printed = new StringBuilder();
            for (String line = out.readLine(); ; line = out.readLine()) {
                assertThat(line).as("%s never said it was attached; stderr: %s", args[0], Files.readString(err))
                        .isNotNull();
                printed.append(line).append('\n');
                if (line.contains(attached)) break;
            }
            List<Integer> links = ClosedPipeTest.linkIds(tool.pid());
            assertThat(links).as("%s's links while it ran", args[0]).isNotEmpty();
            removeTarget.run();
            assertThat(tool.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
            for (String line; (line = out.readLine()) != null; ) printed.append(line).append('\n');
            assertThat(KernelObjects.linkIds()).as("its links, after it exited").doesNotContainAnyElementsOf(links);
            return new Ended(tool.exitValue(), printed.toString(), Files.readString(err));
        } finally {
            tool.destroyForcibly().waitFor();
            Files.deleteIfExists(err);
        }
    }

    private static void ip(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("ip %s: %s", String.join(" ", args), out).isZero();
    }
}
