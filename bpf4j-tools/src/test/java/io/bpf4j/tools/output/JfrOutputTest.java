package io.bpf4j.tools.output;

import io.bpf4j.tools.ToolRun;
import io.bpf4j.tools.fs.Opensnoop;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --output jfr:FILE}: opensnoop's events, read back with {@link RecordingFile}, are JFR events of the type
 * made from the event's BTF struct, one per open of a uniquely named file, with its path, pid and descriptor.
 */
class JfrOutputTest {
    private static final long PID = ProcessHandle.current().pid();

    @Test
    void opensnoopEventsReadBackFromTheRecording() throws Exception {
        Path jfr = Files.createTempFile("bpf4j", ".jfr");
        Path file = Files.createTempFile("bpf4j-jfr-" + ThreadLocalRandom.current().nextInt(1_000_000), ".txt");
        try {
            ToolRun.Running running = ToolRun.start(Opensnoop.class, "-p", String.valueOf(PID), "-d", "2",
                    "--output", "jfr:" + jfr);
            for (int i = 0; i < 7; i++) Files.readString(file);
            ToolRun r = running.finish();
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
        Process tool = ToolMain.start(Opensnoop.class, "-n", "cat", "--output", "jfr:" + jfr);
        try {
            var out = new BufferedReader(new InputStreamReader(tool.getInputStream()));
            assertThat(out.readLine()).as("opensnoop's header, printed once attached").startsWith("PID");
            Path f = Files.writeString(dir.resolve("sigint-" + System.nanoTime()), "x");
            assertThat(new ProcessBuilder("cat", f.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor()).isZero();
            for (String line = out.readLine(); line != null && !line.endsWith(f.toString()); line = out.readLine()) {
                assertThat(line).doesNotContain("Exception");
            }
            assertThat(new ProcessBuilder("kill", "-INT", String.valueOf(tool.pid())).start().waitFor()).isZero();
            assertThat(tool.waitFor(30, TimeUnit.SECONDS)).as("exited within 30 s of SIGINT").isTrue();
            String rest = new String(tool.getInputStream().readAllBytes());
            assertThat(rest).contains("recorded").contains("jfr:" + jfr).doesNotContain("already stopped");
            assertThat(RecordingFile.readAllEvents(jfr)).as("the open made before Ctrl-C")
                    .anySatisfy(e -> assertThat(e.getString("fname")).isEqualTo(f.toString()));
        } finally {
            tool.destroyForcibly().waitFor();
        }
    }
}
