package io.bpf4j.tools.output;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import io.bpf4j.tools.fs.Opensnoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --output ctf:DIR}: opensnoop's events, read back with babeltrace2 — every event in order with its values
 * on the CPU that made it, each CPU its own stream, events the ring buffer lost shown as discarded, and a
 * recording stopped by SIGINT still opens.
 */
@KernelTest
class CtfOutputTest {
    /** One opensnoop event as babeltrace2's text output shows it ({@code --clock-seconds}). */
    private record Open(double seconds, int streamCpu, long ts, int cpu, long pid, long ret, String comm,
                        String fname) {
        static final Pattern LINE = Pattern.compile("^\\[(\\d+\\.\\d+)] \\(.*?\\) \\S+ open: \\{ cpu_id = (\\d+) }, "
                + "\\{ ts = (\\d+), cpu = (\\d+), pid = (\\d+), tid = \\d+, uid = \\d+, ret = (-?\\d+), "
                + "flags = \\d+, comm = \"(.*)\", fname = \"(.*)\" }$");

        static List<Open> parse(String text) {
            List<Open> opens = new ArrayList<>();
            for (String line : text.split("\n")) {
                Matcher m = LINE.matcher(line);
                if (!m.matches()) continue;
                opens.add(new Open(Double.parseDouble(m.group(1)), Integer.parseInt(m.group(2)),
                        Long.parseLong(m.group(3)), Integer.parseInt(m.group(4)), Long.parseLong(m.group(5)),
                        Long.parseLong(m.group(6)), m.group(7), m.group(8)));
            }
            return opens;
        }
    }

    private record Babeltrace(int exit, String out, String err) {
    }

    private static Babeltrace babeltrace(Path trace) throws Exception {
        Path err = Files.createTempFile("babeltrace2", ".err");
        try {
            Process p = new ProcessBuilder("babeltrace2", "--clock-seconds", trace.toString())
                    .redirectError(err.toFile()).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return new Babeltrace(p.exitValue(), out, Files.readString(err));
        } finally {
            Files.delete(err);
        }
    }

    private static Process cat(int cpu, Path file) throws IOException {
        return new ProcessBuilder("taskset", "-c", String.valueOf(cpu), "cat", file.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    }

    @Test
    void everyEventInOrderWithItsValuesOnItsCpusStream(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("trace");
        List<Path> files = new ArrayList<>();
        List<Long> pids = new ArrayList<>();
        double before = System.currentTimeMillis() / 1000.0;
        ToolRun.Running running = ToolRun.start(Opensnoop.class, "-n", "cat", "--output", "ctf:" + trace);
        for (int i = 0; i < 6; i++) {
            Path f = Files.writeString(dir.resolve("ctf-" + i + "-" + System.nanoTime()), "x");
            files.add(f);
            Process p = cat(i % 2, f);
            pids.add(p.pid());
            assertThat(p.waitFor()).isZero();
        }
        ToolRun r = running.stop(); // each open was recorded before cat's open() returned
        double after = System.currentTimeMillis() / 1000.0;
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains("recorded").contains("to ctf:" + trace);
        assertThat(trace.resolve("cpu0")).as("CPU 0's stream").isNotEmptyFile();
        assertThat(trace.resolve("cpu1")).as("CPU 1's stream").isNotEmptyFile();

        Babeltrace bt = babeltrace(trace);
        assertThat(bt.exit()).as(bt.err()).isZero();
        List<Open> all = Open.parse(bt.out());
        assertThat(all).as("events babeltrace2 shows").hasSize((int) bt.out().lines().count());
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).ts()).as("event %d's time", i).isGreaterThanOrEqualTo(all.get(i - 1).ts());
        }
        List<Open> ours = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            String name = files.get(i).toString();
            List<Open> seen = all.stream().filter(o -> o.fname().equals(name)).toList();
            assertThat(seen).as("the open of %s", name).hasSize(1);
            Open o = seen.getFirst();
            assertThat(o.comm()).isEqualTo("cat");
            assertThat(o.pid()).isEqualTo(pids.get(i));
            assertThat(o.ret()).as("the fd").isEqualTo(3);
            assertThat(o.cpu()).as("the CPU cat ran on").isEqualTo(i % 2);
            assertThat(o.streamCpu()).as("the stream's cpu_id").isEqualTo(i % 2);
            assertThat(o.seconds()).as("wall-clock time from the clock's offset").isBetween(before, after);
            ours.add(o);
        }
        assertThat(ours).as("in the order they were opened").isSortedAccordingTo(
                java.util.Comparator.comparingLong(Open::ts));
        assertThat(bt.out()).doesNotContain("discarded");
    }

    @Test
    void eventsTheRingBufferLostAreDiscardedEvents(@TempDir Path dir) throws Exception {
        Path trace = dir.resolve("trace");
        Path flood = Files.writeString(dir.resolve("flood-" + System.nanoTime()), "x");
        int opens = 20_000;
        // a 4 KiB ring buffer holds about a dozen opensnoop events: a burst of opens surely overflows it
        ToolRun.Running running = ToolRun.start(Opensnoop.class, "-p", String.valueOf(ProcessHandle.current().pid()),
                "--buffer-kb", "4", "--output", "ctf:" + trace);
        for (int i = 0; i < opens; i++) {
            try (var in = Files.newInputStream(flood)) {
                in.read();
            }
        }
        ToolRun r = running.stop(); // no duration the 20000 opens must fit in
        assertThat(r.exit()).as(r.err()).isZero();
        Matcher lostLine = Pattern.compile("(\\d+) event\\(s\\) lost").matcher(r.err());
        assertThat(lostLine.find()).as("opensnoop reports a loss: %s", r.err()).isTrue();
        long lost = Long.parseLong(lostLine.group(1));

        Babeltrace bt = babeltrace(trace);
        assertThat(bt.exit()).as(bt.err()).isZero();
        long discarded = 0;
        // babeltrace2 says "discarded 1 event" for a stream that lost exactly one
        Matcher warning = Pattern.compile("Tracer discarded (\\d+) events?").matcher(bt.out() + bt.err());
        while (warning.find()) discarded += Long.parseLong(warning.group(1));
        assertThat(discarded).as("discarded events babeltrace2 reports").isEqualTo(lost);
        List<Open> all = Open.parse(bt.out());
        long floodEvents = all.stream().filter(o -> o.fname().equals(flood.toString())).count();
        assertThat(floodEvents + discarded).as("flood opens seen or counted lost").isGreaterThanOrEqualTo(opens);
        assertThat(r.err()).contains("recorded " + all.size() + " events (" + lost + " lost)");
    }

    @Test
    void aRecordingStoppedBySigintOpens(@TempDir Path dir) throws Exception {
        ToolRun.assumeRoot();
        Path trace = dir.resolve("trace");
        ToolMain.Stopped run = ToolMain.opensnoopStoppedBySigint(dir, "ctf:" + trace);
        assertThat(run.rest()).contains("recorded").contains("ctf:" + trace);

        Babeltrace bt = babeltrace(trace);
        assertThat(bt.exit()).as(bt.err()).isZero();
        assertThat(Open.parse(bt.out())).as("the open made before Ctrl-C")
                .anySatisfy(o -> assertThat(o.fname()).isEqualTo(run.opened().toString()));
    }
}
