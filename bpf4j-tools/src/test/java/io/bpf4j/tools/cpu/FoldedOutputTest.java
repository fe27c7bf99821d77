package io.bpf4j.tools.cpu;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.Workload;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --output folded:FILE,flamegraph:FILE.html} of a stack tool: the folded file holds the stacks it printed,
 * the flame graph has their frames.
 */
@KernelTest
class FoldedOutputTest {
    private static final String SPIN = "void FN(void) { for (;;); }\nint main(void) { FN(); return 0; }\n";

    @Test
    void profileRecordsWhatItPrintsAsFoldedStacks() throws Exception {
        Path file = Files.createTempFile("bpf4j-folded", ".txt");
        Path html = Files.createTempFile("bpf4j-flame", ".html");
        try (Workload w = Workload.start("fold", SPIN)) {
            // the child spins all along: the tool's 2 s (which it ends by itself) hold samples of it
            ToolRun r = ToolRun.start(Profile.class, "-f", "-p", String.valueOf(w.pid()),
                    "--output", "folded:" + file + ",flamegraph:" + html, "2").finish();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).containsPattern("profile: recorded 0 events and 1 histogram\\(s\\) or stack set\\(s\\) "
                    + "to folded:" + file + " \\(\\d+ B\\), flamegraph:" + html);
            assertThat(Files.readAllLines(file)).as("the file and stdout hold the same folded lines")
                    .containsExactlyInAnyOrderElementsOf(r.out().lines().toList())
                    .anySatisfy(l -> assertThat(l).startsWith(w.comm + ";").contains(";main;" + w.function + " "));
            assertThat(Files.readString(html)).contains("\"n\":\"" + w.function + "\"").contains("\"n\":\"" + w.comm + "\"");
        } finally {
            Files.deleteIfExists(html);
            Files.deleteIfExists(file);
        }
    }
}
