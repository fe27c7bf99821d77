package io.bpf4j.tools.sched;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * runqlat sees three busy shell loops pinned to one CPU wait on its run queue: each waits about as long as the
 * others run (milliseconds), and -P/-L/-p show them by pid.
 */
@KernelTest
class RunqlatTest {
    private static final Pattern ROW = Pattern.compile("^\\s*(\\d+) -> (\\d+)\\s+: (\\d+)", Pattern.MULTILINE);

    /** Starts three CPU-bound shells pinned to CPU 0, and returns once each is the shell (taskset exec'd it). */
    private static List<Process> busyOnCpu0() throws Exception {
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ps.add(new ProcessBuilder("taskset", "-c", "0", "sh", "-c", "while :; do :; done").start());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Process p : ps) {
            while (!comm(p).equals("sh")) {
                assertThat(System.nanoTime()).as("taskset execs the shell").isLessThan(deadline);
                Thread.sleep(10);
            }
        }
        return ps;
    }

    private static String comm(Process p) throws IOException {
        try {
            return Files.readString(Path.of("/proc/" + p.pid() + "/comm")).strip();
        } catch (NoSuchFileException exited) {
            throw new AssertionError("the busy shell " + p.pid() + " exited");
        }
    }

    /** The total count and the highest non-empty bucket's low end of the histogram following {@code label}. */
    private static long[] histogram(String out, String label) {
        int at = label == null ? 0 : out.indexOf(label);
        assertThat(at).as("histogram '" + label + "' in:\n" + out).isGreaterThanOrEqualTo(0);
        String rest = out.substring(at + (label == null ? 0 : label.length()));
        int next = rest.indexOf("\n\n", 1);
        if (next > 0) rest = rest.substring(0, next);
        long total = 0, highest = -1;
        Matcher m = ROW.matcher(rest);
        while (m.find()) {
            long n = Long.parseLong(m.group(3));
            total += n;
            if (n > 0) highest = Long.parseLong(m.group(1));
        }
        return new long[] {total, highest};
    }

    @Test
    void perProcessHistogramsShowTheQueuedShells() throws Exception {
        List<Process> ps = busyOnCpu0();
        try {
            ToolRun.Running running = ToolRun.start(Runqlat.class, "-P", "-m", "3", "1");
            ToolRun r = running.finish();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("Tracing run queue latency... Hit Ctrl-C to end.");
            for (Process p : ps) {
                long[] h = histogram(r.out(), "pid = " + p.pid() + " sh\n     msecs");
                // three runnable loops share one CPU: each waits while the others run, a few ms at a time
                assertThat(h[0]).as("samples of pid " + p.pid()).isGreaterThanOrEqualTo(10);
                assertThat(h[1]).as("highest msecs bucket of pid " + p.pid()).isGreaterThanOrEqualTo(1);
            }
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void pidAndThreadFilters() throws Exception {
        List<Process> ps = busyOnCpu0();
        try {
            long pid = ps.getFirst().pid();
            ToolRun.Running running = ToolRun.start(Runqlat.class, "-L", "-p", String.valueOf(pid), "-T", "2", "1");
            ToolRun r = running.finish();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).containsPattern("\n\\d\\d:\\d\\d:\\d\\d\n");
            assertThat(r.linesWith(" = ")).as("only the one thread of -p").containsExactly("tid = " + pid + " sh");
            assertThat(histogram(r.out(), "tid = " + pid + " sh\n     usecs")[0]).isGreaterThanOrEqualTo(10);
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void globalHistogramAsJson() throws Exception {
        List<Process> ps = busyOnCpu0();
        try {
            ToolRun.Running running = ToolRun.start(Runqlat.class, "--json", "2", "1");
            ToolRun r = running.finish();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines()).singleElement().satisfies(l -> assertThat(l)
                    .startsWith("{\"histogram\":{\"unit\":\"usecs\",\"scale\":\"log2\",\"buckets\":[")
                    .containsPattern("\"count\":[1-9]"));
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
    }
}
