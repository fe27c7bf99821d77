package io.bpf4j.tools.cpu;

import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --output folded:FILE} of a stack tool holds the stacks it printed, in the folded format. */
class FoldedOutputTest {
    private static final String SPIN = "void FN(void) { for (;;); }\nint main(void) { FN(); return 0; }\n";

    @Test
    void profileRecordsWhatItPrintsAsFoldedStacks() throws Exception {
        Path file = Files.createTempFile("bpf4j-folded", ".txt");
        try (Workload w = Workload.start("fold", SPIN)) {
            ToolRun r = ToolRun.start(Profile.class, out -> true, "-f", "-p", String.valueOf(w.pid()),
                    "--output", "folded:" + file, "2").finish();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).containsPattern("profile: recorded 0 events and 1 histogram\\(s\\) or stack set\\(s\\) "
                    + "to folded:" + file + " \\(\\d+ B\\)");
            assertThat(Files.readAllLines(file)).as("the file and stdout hold the same folded lines")
                    .containsExactlyInAnyOrderElementsOf(r.out().lines().toList())
                    .anySatisfy(l -> assertThat(l).startsWith(w.comm + ";").contains(";main;" + w.function + " "));
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
