package io.bpf4j.bcc;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * examples/PacketRate.java on a veth pair between two network namespaces the test makes: the example runs in one
 * with XDP on its end, packets come from the other (bash's /dev/tcp and /dev/udp). No traffic leaves the namespaces.
 */
@KernelTest
class PacketRateExampleTest {
    @TempDir
    static Path cache;
    private final String nsA = "bcc-a-" + ProcessHandle.current().pid();
    private final String nsB = "bcc-b-" + ProcessHandle.current().pid();
    private static final String A = "10.213.7.1";
    private static final String B = "10.213.7.2";

    static int run(String... cmd) throws IOException, InterruptedException {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
    }

    static void must(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    @BeforeEach
    void namespaces() throws Exception {
        cleanUp();
        must("ip", "netns", "add", nsA);
        must("ip", "netns", "add", nsB);
        must("ip", "link", "add", "va", "netns", nsA, "type", "veth", "peer", "name", "vb", "netns", nsB);
        must("ip", "-n", nsA, "addr", "add", A + "/24", "dev", "va");
        must("ip", "-n", nsB, "addr", "add", B + "/24", "dev", "vb");
        must("ip", "-n", nsA, "link", "set", "va", "up");
        must("ip", "-n", nsB, "link", "set", "vb", "up");
    }

    @AfterEach
    void cleanUp() throws Exception {
        run("ip", "netns", "del", nsA); // deletes its veth end, and so the pair
        run("ip", "netns", "del", nsB);
    }

    /**
     * A TCP connect from A to a closed port of B: one SYN from A, which B refuses (an RST back). The refusal
     * proves the SYN went through the XDP program. (bash's /dev/tcp: no ping is needed on the machine.)
     */
    int refusedConnect() throws Exception {
        return run("ip", "netns", "exec", nsA, "bash", "-c", "exec 3<>/dev/tcp/" + B + "/9");
    }

    /** One UDP datagram from A to B. */
    void datagram() throws Exception {
        must("ip", "netns", "exec", nsA, "bash", "-c", "echo x >/dev/udp/" + B + "/9");
    }

    List<String> stats(ExampleRun run) {
        int before = run.lines().size();
        run.send("stats");
        run.await(before, l -> l.equals("end of stats"), "the end of its stats");
        List<String> all = run.lines();
        return new ArrayList<>(all.subList(before, all.size()));
    }

    @Test
    void countsASourcesPacketsThenDropsThemOnceBlocked() throws Exception {
        try (ExampleRun run = ExampleRun.start(cache, List.of("ip", "netns", "exec", nsB), "PacketRate.java", "vb")) {
            run.await(l -> l.startsWith("Attached xdp_rate to vb"), "its attached line");
            for (int i = 0; i < 3; i++) assertThat(refusedConnect()).as("a connect B refused").isEqualTo(1);
            assertThat(stats(run)).contains("source " + A + " packets 3", "passed 3 dropped 0");

            run.send("block " + A);
            run.await(l -> l.equals("blocked " + A), "its answer to block");
            datagram();
            datagram();
            // the datagrams are dropped on their way, after the sender is done: ask until the drops are counted
            List<String> stats = stats(run);
            while (!stats.contains("passed 3 dropped 2")) {
                assertThat(stats).as("nothing but those two datagrams")
                        .containsAnyOf("passed 3 dropped 0", "passed 3 dropped 1");
                stats = stats(run);
            }
            assertThat(stats).contains("source " + A + " packets 5");

            run.closeInput();
            assertThat(run.waitFor()).as(run.output()).isZero();
        }
        must("ip", "-n", nsB, "link", "show", "vb"); // the interface is still there…
        Process p = new ProcessBuilder("ip", "-n", nsB, "link", "show", "vb").start();
        assertThat(new String(p.getInputStream().readAllBytes())).as("…without XDP once the example ended")
                .doesNotContain("xdp");
    }
}
