package io.bpf4j.bcc;

import io.bpf4j.core.KernelObjects;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** An example ended by SIGTERM leaves nothing attached: the BPF links it held are gone from the kernel. */
@KernelTest
class SigtermExampleTest {
    @TempDir
    static Path cache;

    /** The ids of the BPF links process {@code pid} holds (its fds and their fdinfo). */
    static List<Integer> links(long pid) throws IOException {
        List<Integer> ids = new ArrayList<>();
        Path proc = Path.of("/proc", Long.toString(pid));
        try (var fds = Files.list(proc.resolve("fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    if (!Files.readSymbolicLink(fd).toString().equals("anon_inode:bpf_link")) continue;
                    Files.readAllLines(proc.resolve("fdinfo").resolve(fd.getFileName().toString())).stream()
                            .filter(l -> l.startsWith("link_id:"))
                            .forEach(l -> ids.add(Integer.parseInt(l.substring(8).strip())));
                } catch (IOException closedMeanwhile) {
                    // an fd closed between the listing and the read
                }
            }
        }
        return ids;
    }

    @Test
    void sigtermDetachesEverything() throws Exception {
        List<Integer> held;
        try (ExampleRun run = ExampleRun.start(cache, "MkdirCounter.java", "perf")) {
            run.await(l -> l.startsWith("Attached send_mkdir"), "its attached line");
            held = links(run.process().pid());
            assertThat(held).as("the example's links (its tracepoint attachment)").isNotEmpty();
            assertThat(KernelObjects.linkIds()).containsAll(held);
            run.process().destroy(); // SIGTERM
            run.waitFor();
        }
        assertThat(KernelObjects.linkIds()).as("links left after SIGTERM").doesNotContainAnyElementsOf(held);
    }
}
