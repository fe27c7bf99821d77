package io.bpf4j.tools.output;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import io.bpf4j.tools.fs.Opensnoop;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --output jfr:FILE}: opensnoop's events, read back with {@link RecordingFile}, are JFR events of the type
 * made from the event's BTF struct, one per open of a uniquely named file, with its path, pid and descriptor.
 */
@KernelTest
class JfrOutputTest {
    private static final long PID = ProcessHandle.current().pid();

    @Test
    void opensnoopEventsReadBackFromTheRecording() throws Exception {
        Path jfr = Files.createTempFile("bpf4j", ".jfr");
        Path file = Files.createTempFile("bpf4j-jfr-" + ThreadLocalRandom.current().nextInt(1_000_000), ".txt");
        try {
            ToolRun.Running running = ToolRun.start(Opensnoop.class, "-p", String.valueOf(PID),
                    "--output", "jfr:" + jfr);
            for (int i = 0; i < 7; i++) Files.readString(file);
            ToolRun r = running.stop(); // each open was recorded before it returned
            assertThat(r.exit()).as(r.err()).isZero();
            List<RecordedEvent> opens = RecordingFile.readAllEvents(jfr).stream()
                    .filter(e -> e.getEventType().getName().equals("bpf4j.opensnoop.open"))
                    .filter(e -> e.getString("fname").equals(file.toString())).toList();
            assertThat(opens).hasSize(7).allSatisfy(e -> {
                assertThat(e.getLong("pid")).isEqualTo(PID);
                assertThat(e.getLong("ret")).as("fd").isGreaterThanOrEqualTo(0);
                assertThat(e.getString("comm")).isNotEmpty();
                assertThat(e.getLong("kernelTimestamp")).isPositive();
                assertThat(e.getEventType().getCategoryNames()).containsExactly("bpf4j", "opensnoop");
            });
        } finally {
            Files.deleteIfExists(jfr);
            Files.deleteIfExists(file);
        }
    }

    /** JFR's own shutdown hook stops every recording on Ctrl-C, maybe before the tool's: the file must be whole. */
    @Test
    void aRecordingStoppedBySigintHoldsTheEvents(@TempDir Path dir) throws Exception {
        ToolRun.assumeRoot();
        Path jfr = dir.resolve("sigint.jfr");
        ToolMain.Stopped run = ToolMain.opensnoopStoppedBySigint(dir, "jfr:" + jfr);
        assertThat(run.rest()).contains("recorded").contains("jfr:" + jfr).doesNotContain("already stopped");
        assertThat(RecordingFile.readAllEvents(jfr)).as("the open made before Ctrl-C")
                .anySatisfy(e -> assertThat(e.getString("fname")).isEqualTo(run.opened().toString()));
    }
}
