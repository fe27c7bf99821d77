package io.bpf4j.tools.jvm;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * javagc on a child JVM (this JVM's own java, with the serial collector and a small program that allocates almost
 * nothing) which, once javagc is attached, calls System.gc() exactly three times and times each call: javagc must
 * show exactly three full-collection pauses, run by the child's VM thread, each no longer than the System.gc()
 * call that caused it. The probes fire inside the pauses, before System.gc() returns, so once the child has said
 * it is done, the tool is stopped (as Ctrl-C does) and has every event: no duration the child must fit into.
 */
class JavagcTest {
    private static final int GCS = 3;
    private static final String PROGRAM = """
            import java.io.*;

            public class Gcs {
                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        int n = Integer.parseInt(line.trim());
                        StringBuilder took = new StringBuilder("done");
                        for (int i = 0; i < n; i++) {
                            long t0 = System.nanoTime();
                            System.gc();
                            took.append(' ').append(System.nanoTime() - t0);
                            Thread.sleep(50);
                        }
                        System.out.println(took);
                    }
                }
            }
            """;

    @TempDir
    Path dir;

    /** The child JVM: {@link #gc} makes it collect, and returns how long each System.gc() took (ns). */
    private final class Child implements AutoCloseable {
        final Process process;
        final BufferedReader out;
        final PrintWriter in;

        Child() throws Exception {
            Path src = dir.resolve("Gcs.java");
            Files.writeString(src, PROGRAM);
            String java = ProcessHandle.current().info().command().orElseThrow();
            // serial: no concurrent or periodic collections, only the ones System.gc() asks for
            process = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xms64m", "-Xmx64m", "-XX:-UsePerfData",
                    src.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
            assertThat(line()).isEqualTo("ready");
        }

        long pid() {
            return process.pid();
        }

        long[] gc(int n) throws Exception {
            in.println(n);
            String done = line();
            assertThat(done).startsWith("done ");
            return Arrays.stream(done.substring(5).split(" ")).mapToLong(Long::parseLong).toArray();
        }

        /** The thread that runs the child's collections. */
        long vmThread() throws IOException {
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid()), "task"))) {
                return tasks.filter(t -> comm(t).equals("VM Thread")).mapToLong(t -> Long.parseLong(
                        t.getFileName().toString())).findFirst().orElseThrow();
            }
        }

        private String line() throws Exception {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }).get(60, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String comm(Path task) {
        try {
            return Files.readString(task.resolve("comm")).strip();
        } catch (IOException exited) {
            return "";
        }
    }

    @KernelTest
    @Test
    void showsEachPause() throws Exception {
        try (Child child = new Child()) {
            ToolRun.Running running = ToolRun.start(Javagc.class, "-p", Long.toString(child.pid()));
            long[] took = child.gc(GCS);
            long vmThread = child.vmThread();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().findFirst()).hasValue("TIME     CPU PID     TID     FULL GC TIME(us)");
            List<String[]> pauses = r.out().lines().skip(1).map(l -> l.trim().split("\\s+")).toList();
            assertThat(pauses).as(r.out()).hasSize(GCS);
            for (int i = 0; i < GCS; i++) {
                String[] c = pauses.get(i);
                assertThat(c[0]).matches("\\d\\d:\\d\\d:\\d\\d");
                assertThat(c[2]).isEqualTo(Long.toString(child.pid()));
                assertThat(c[3]).isEqualTo(Long.toString(vmThread));
                assertThat(c[4]).as("System.gc() is a full collection").isEqualTo("yes");
                assertThat(Long.parseLong(c[5])).as("pause %d (us) within its System.gc() call of %d ns", i, took[i])
                        .isPositive().isLessThanOrEqualTo(took[i] / 1000);
            }
        }
    }

    @KernelTest
    @Test
    void histogramCountsThePauses() throws Exception {
        try (Child child = new Child()) {
            ToolRun.Running running = ToolRun.start(Javagc.class, "-p", Long.toString(child.pid()), "-H", "-T");
            assertThat(running.outSoFar()).startsWith("Tracing GC pauses of process " + child.pid());
            child.gc(GCS);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).as(r.out()).containsPattern("\n\n\\d\\d:\\d\\d:\\d\\d\n")
                    .contains("     usecs               : count     distribution");
            long total = 0;
            Matcher m = Pattern.compile("(?m)^\\s+(\\d+) -> \\d+\\s+: (\\d+)").matcher(r.out());
            while (m.find()) {
                total += Long.parseLong(m.group(2));
                if (!m.group(2).equals("0")) assertThat(Long.parseLong(m.group(1))).as("a pause of 0 us").isPositive();
            }
            assertThat(total).as(r.out()).isEqualTo(GCS);
        }
    }

    @KernelTest
    @Test
    void json() throws Exception {
        try (Child child = new Child()) {
            ToolRun.Running running = ToolRun.start(Javagc.class, "-p", Long.toString(child.pid()), "--json");
            long[] took = child.gc(GCS);
            long vmThread = child.vmThread();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines).as(r.out()).hasSize(GCS);
            Pattern pause = Pattern.compile("\"pause_ns\":(\\d+)");
            for (int i = 0; i < GCS; i++) {
                assertThat(lines.get(i)).startsWith("{\"event\":\"gc\",\"ts\":").contains("\"pid\":" + child.pid() + ",")
                        .contains("\"tid\":" + vmThread + ",").contains("\"full\":1,");
                Matcher m = pause.matcher(lines.get(i));
                assertThat(m.find()).as(lines.get(i)).isTrue();
                assertThat(Long.parseLong(m.group(1))).as("pause %d (ns) within its System.gc() call", i)
                        .isPositive().isLessThanOrEqualTo(took[i]);
            }
        }
    }

    /** Pauses shorter than -t are not shown: none above 60 s, all above 1 us (in ms with -m). */
    @KernelTest
    @Test
    void thresholdHidesShorterPauses() throws Exception {
        try (Child child = new Child()) {
            String pid = Long.toString(child.pid());
            ToolRun.Running high = ToolRun.start(Javagc.class, "-p", pid, "-t", "60000000");
            child.gc(GCS);
            ToolRun h = high.stop();
            assertThat(h.exit()).as(h.err()).isZero();
            assertThat(h.out().lines().toList()).as(h.out()).containsExactly(
                    "TIME     CPU PID     TID     FULL GC TIME(us)");
            ToolRun.Running low = ToolRun.start(Javagc.class, "-p", pid, "-t", "1", "-m");
            long[] took = child.gc(GCS);
            ToolRun l = low.stop();
            assertThat(l.exit()).as(l.err()).isZero();
            assertThat(l.out().lines().findFirst()).hasValue("TIME     CPU PID     TID     FULL GC TIME(ms)");
            List<String[]> pauses = l.out().lines().skip(1).map(s -> s.trim().split("\\s+")).toList();
            assertThat(pauses).as(l.out()).hasSize(GCS);
            for (int i = 0; i < GCS; i++) {
                assertThat(pauses.get(i)[5]).matches("\\d+\\.\\d{3}");
                // printed rounded to the microsecond
                assertThat(Double.parseDouble(pauses.get(i)[5])).isPositive()
                        .isLessThanOrEqualTo(took[i] / 1e6 + 0.0005);
            }
        }
    }

    @Test
    void refusesAProcessThatIsNotAJvm() throws Exception {
        Process sleep = new ProcessBuilder("sleep", "60").start();
        try {
            assertThatThrownBy(() -> Javagc.libjvm((int) sleep.pid()))
                    .hasMessage("process " + sleep.pid() + " (sleep) has no libjvm.so mapped: it is not a HotSpot "
                            + "JVM (or has not started one yet)");
        } finally {
            sleep.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
