package io.bpf4j.tools.jvm;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * javamonitor on a child JVM started with {@code -XX:+DTraceMonitorProbes} that, once the tool is attached, makes
 * a known number of monitor waits on an object of a uniquely named class: for each contention, a thread
 * ({@code holder-UNIQUE}) holds the object's monitor while another ({@code waiter-UNIQUE}) tries to enter it, and
 * the holder lets go only once the waiter is seen BLOCKED on it (so the waiter cannot get it by spinning); for each
 * wait, a thread calls {@code wait()} on it and the main thread notifies it once it is seen WAITING. The probes
 * fire on those threads before the child joins them, so when it says it is done the events are in the kernel.
 */
@KernelTest
class JavamonitorTest {
    private static final int TIMES = 3;
    private static final String PROGRAM = """
            import java.io.*;
            import java.util.concurrent.CountDownLatch;

            public class Monitors {
                static final class Lock_UNIQUE { }
                static final Lock_UNIQUE LOCK = new Lock_UNIQUE();
                static boolean notified;

                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        String[] w = line.split(" ");
                        for (int i = 0; i < Integer.parseInt(w[1]); i++) {
                            if (w[0].equals("contend")) contend(); else waitOnce();
                        }
                        System.out.println("done");
                    }
                }

                static void contend() throws Exception {
                    CountDownLatch held = new CountDownLatch(1), release = new CountDownLatch(1);
                    Thread holder = new Thread(() -> {
                        synchronized (LOCK) {
                            held.countDown();
                            try { release.await(); } catch (InterruptedException e) { throw new RuntimeException(e); }
                        }
                    }, "holder-UNIQUE");
                    holder.start();
                    held.await();
                    Thread waiter = new Thread(() -> { synchronized (LOCK) { LOCK.hashCode(); } }, "waiter-UNIQUE");
                    waiter.start();
                    while (waiter.getState() != Thread.State.BLOCKED) Thread.onSpinWait();
                    release.countDown();
                    holder.join();
                    waiter.join();
                }

                static void waitOnce() throws Exception {
                    notified = false;
                    Thread waiter = new Thread(() -> {
                        synchronized (LOCK) {
                            try {
                                while (!notified) LOCK.wait();
                            } catch (InterruptedException e) { throw new RuntimeException(e); }
                        }
                    }, "waiter-UNIQUE");
                    waiter.start();
                    while (waiter.getState() != Thread.State.WAITING) Thread.onSpinWait();
                    synchronized (LOCK) {
                        notified = true;
                        LOCK.notify();
                    }
                    waiter.join();
                }
            }
            """;

    @TempDir
    Path dir;

    private ControlledJvm child(String... flags) throws Exception {
        return new ControlledJvm(dir, "Monitors", PROGRAM, flags);
    }

    @Test
    void showsEachContentionAndTheSummary() throws Exception {
        try (ControlledJvm child = child("-XX:+DTraceMonitorProbes")) {
            ToolRun.Running running = ToolRun.start(Javamonitor.class, "-p", Integer.toString(child.pid()));
            child.run("contend " + TIMES);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines.subList(0, 2)).containsExactly("Tracing monitor contention in process " + child.pid()
                    + " (language: java)... Ctrl-C to quit.", "TIME     PID     TID     THREAD           TYPE  "
                    + "WAIT(us)   CLASS");
            String lock = "Monitors$Lock_" + child.unique;
            List<String[]> ours = lines.stream().map(l -> l.trim().split("\\s+"))
                    .filter(c -> c.length == 7 && c[6].equals(lock)).toList();
            long total = 0, max = 0;
            assertThat(ours).as(r.out()).hasSize(TIMES);
            for (String[] c : ours) {
                assertThat(c[0]).matches("\\d\\d:\\d\\d:\\d\\d");
                assertThat(c[1]).isEqualTo(Integer.toString(child.pid()));
                assertThat(c[3]).as("the thread that waited").isEqualTo("waiter-" + child.unique);
                assertThat(c[4]).isEqualTo("enter");
                total += Long.parseLong(c[5]);
                max = Math.max(max, Long.parseLong(c[5]));
            }
            Matcher summary = Pattern.compile("(?m)^" + Pattern.quote(lock) + " +enter +(\\d+) +(\\d+) +(\\d+)$")
                    .matcher(r.out());
            assertThat(summary.find()).as(r.out()).isTrue();
            assertThat(summary.group(1)).isEqualTo(Integer.toString(TIMES));
            // the events print each wait cut to whole microseconds, the summary the sum cut once
            assertThat(Long.parseLong(summary.group(2))).isBetween(total, total + TIMES);
            assertThat(Long.parseLong(summary.group(3))).isEqualTo(max);
            assertThat(r.out()).contains("\n\nCLASS                                    TYPE     COUNT    TOTAL(us)    "
                    + "MAX(us)\n").doesNotContainPattern("(?m)^" + Pattern.quote(lock) + " +wait ");
        }
    }

    @Test
    void waitsInJsonMatchTheSummary() throws Exception {
        try (ControlledJvm child = child("-XX:+DTraceMonitorProbes")) {
            ToolRun.Running running = ToolRun.start(Javamonitor.class, "-p", Integer.toString(child.pid()),
                    "--json");
            child.run("wait " + TIMES);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            String lock = "Monitors$Lock_" + child.unique;
            List<String> waits = r.out().lines().filter(l -> l.startsWith("{\"event\":\"monitor\","))
                    .filter(l -> l.contains("\"type\":\"wait\"") && l.contains("\"class_name\":\"" + lock + "\""))
                    .toList();
            assertThat(waits).as(r.out()).hasSize(TIMES);
            long total = 0, max = 0;
            for (String w : waits) {
                assertThat(w).contains("\"pid\":" + child.pid() + ",").contains("\"comm\":\"waiter-" + child.unique
                        + "\"").containsPattern("\"monitor\":\"0x[0-9a-f]+\"");
                long ns = number(w, "wait_ns");
                assertThat(ns).isPositive();
                total += ns;
                max = Math.max(max, ns);
            }
            List<String> summary = r.linesWith("{\"class_name\":\"" + lock + "\",\"type\":\"wait\"");
            assertThat(summary).as(r.out()).hasSize(1);
            assertThat(number(summary.getFirst(), "count")).isEqualTo(TIMES);
            assertThat(number(summary.getFirst(), "total_ns")).isEqualTo(total);
            assertThat(number(summary.getFirst(), "max_ns")).isEqualTo(max);
        }
    }

    @Test
    void summaryOnly() throws Exception {
        try (ControlledJvm child = child("-XX:+DTraceMonitorProbes")) {
            ToolRun.Running running = ToolRun.start(Javamonitor.class, "-p", Integer.toString(child.pid()), "-s");
            child.run("contend " + TIMES);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("Tracing monitor contention in process " + child.pid()
                    + " (language: java)... Ctrl-C to quit.\n\nCLASS ");
            assertThat(r.out()).containsPattern("(?m)^Monitors\\$Lock_" + child.unique + " +enter +" + TIMES + " ");
        }
    }

    /** Without the flag the probes never fire: one line names the flag to restart the JVM with, and exit 1. */
    @Test
    void saysWhichFlagIsMissing() throws Exception {
        try (ControlledJvm child = child()) {
            ToolRun.assumeRoot();
            var cl = new picocli.CommandLine(new Javamonitor());
            StringWriter err = new StringWriter();
            cl.setErr(new PrintWriter(err, true));
            cl.setOut(new PrintWriter(new StringWriter(), true));
            cl.setExecutionExceptionHandler((ex, c, p) -> {
                c.getErr().println(ex.getMessage());
                return 1;
            });
            assertThat(cl.execute("-p", Integer.toString(child.pid()))).isEqualTo(1);
            assertThat(err.toString()).isEqualTo("process " + child.pid() + " (java) runs without "
                    + "-XX:+DTraceMonitorProbes, so its JVM never fires hotspot:monitor__contended__enter; restart it "
                    + "with that flag\n");
        }
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return Long.parseLong(m.group(1));
    }
}
