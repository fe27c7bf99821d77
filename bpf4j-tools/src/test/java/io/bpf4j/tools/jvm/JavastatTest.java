package io.bpf4j.tools.jvm;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * javastat on a child JVM (serial GC, a fixed number of compiler threads) which, once the tool is attached, collects
 * 3 times (System.gc()), starts and joins 4 threads and loads 5 classes of its own. It did the same once, with one
 * of each, before it said it was ready, so that what the JDK loads on the first use of those paths is loaded
 * before the tool attaches. Every interval shows the counts since the last (1 s intervals: the rates are the
 * counts), so the child's rows add up to exactly 3, 4 and 5 once an interval has read the counters after the child
 * was done: the tool is stopped only after two more intervals were printed.
 */
@KernelTest
class JavastatTest {
    private static final String PROGRAM = """
            import java.io.*;

            public class StatUNIQUE {
                static final class Worker extends Thread {
                    public void run() {
                    }
                }

                static final class L0 {}
                static final class L1 {}
                static final class L2 {}
                static final class L3 {}
                static final class L4 {}
                static final class L5 {}

                static final String[][] CLASSES = {{"StatUNIQUE$L0"},
                        {"StatUNIQUE$L1", "StatUNIQUE$L2", "StatUNIQUE$L3", "StatUNIQUE$L4", "StatUNIQUE$L5"}};

                static void work(int gcs, int threads, String[] classes) throws Exception {
                    for (int i = 0; i < gcs; i++) System.gc();
                    for (int i = 0; i < threads; i++) {
                        Worker w = new Worker();
                        w.start();
                        w.join();
                    }
                    for (String c : classes) Class.forName(c);
                }

                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    work(1, 1, CLASSES[0]);
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        work(3, 4, CLASSES[1]);
                        System.out.println("done");
                    }
                }
            }
            """;
    private static final String HEADER = "PID     CMDLINE              METHOD/s   GC/s   OBJNEW/s   CLOAD/s  THR/s";
    private static final Pattern ROW = Pattern.compile(
            "(?m)^(\\d+) +(.{20}) (\\S+) +(\\d+) +(\\S+) +(\\d+) +(\\d+) *$");

    @TempDir
    Path dir;

    private ControlledJvm child(String... flags) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("-XX:+UseSerialGC",
                "-XX:-UseDynamicNumberOfCompilerThreads"));
        all.addAll(List.of(flags));
        return new ControlledJvm(dir, "StatUNIQUE", PROGRAM, all.toArray(String[]::new));
    }

    /** Sums, over the intervals, the child's columns: GC, CLOAD, THR; and checks METHOD and OBJNEW show {@code -}. */
    private static long[] sums(String out, int pid, String methods, String objnew) {
        long[] sums = new long[3];
        Matcher m = ROW.matcher(out);
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) != pid) continue;
            assertThat(m.group(2)).startsWith("java ");
            if (methods != null) assertThat(m.group(3)).isEqualTo(methods);
            if (objnew != null) assertThat(m.group(5)).isEqualTo(objnew);
            sums[0] += Long.parseLong(m.group(4));
            sums[1] += Long.parseLong(m.group(6));
            sums[2] += Long.parseLong(m.group(7));
        }
        return sums;
    }

    private static long headers(String out) {
        return out.lines().filter(l -> l.contains(" loadavg: ")).count();
    }

    /** Every JVM on the machine (no -p): the child is found by the /proc scan, its counts exact. */
    @Test
    void countsCollectionsThreadsAndClassLoads() throws Exception {
        try (ControlledJvm jvm = child()) {
            ToolRun.Running running = ToolRun.start(Javastat.class, "-C", "1");
            assertThat(running.outSoFar()).isEqualTo("Tracing... Output every 1 secs. Hit Ctrl-C to end\n");
            jvm.run("go");
            long seen = headers(running.outSoFar());
            running.awaitOut("two more intervals", o -> headers(o) >= seen + 2 && o.endsWith("\n"));
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).as("nothing lost").isEmpty();
            assertThat(r.out()).contains("\n" + HEADER + "\n")
                    .doesNotContain("\n" + ProcessHandle.current().pid() + " ");
            assertThat(sums(r.out(), jvm.pid(), "-", "-")).as(r.out()).containsExactly(3, 5, 4);
        }
    }

    /**
     * A JVM started after the tool attached is counted from its start: its libjvm.so (this JVM's) was probed for
     * every process, and the kernel puts the probes into each process that maps it. Its counts then include its
     * own start-up (the source launcher compiles the program: hundreds of classes), so they are at least the
     * child's: 1 + 3 collections, 1 + 4 threads, and more than 1 + 5 class loads.
     */
    @Test
    void aJvmStartedLaterIsCountedFromItsStart() throws Exception {
        ToolRun.Running running = ToolRun.start(Javastat.class, "-C", "1");
        try (ControlledJvm jvm = child()) {
            jvm.run("go");
            long seen = headers(running.outSoFar());
            running.awaitOut("two more intervals", o -> headers(o) >= seen + 2 && o.endsWith("\n"));
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            long[] sums = sums(r.out(), jvm.pid(), "-", "-");
            assertThat(sums[0]).as(r.out()).isGreaterThanOrEqualTo(4);
            assertThat(sums[1]).as(r.out()).isGreaterThan(100);
            assertThat(sums[2]).as(r.out()).isGreaterThanOrEqualTo(5);
        } finally {
            running.stop();
        }
    }

    /** -p: that JVM only; with -XX:+DTraceAllocProbes its allocations are counted, and JSON lines. */
    @Test
    void oneJvmAsJson() throws Exception {
        try (ControlledJvm jvm = child("-XX:+DTraceAllocProbes")) {
            ToolRun.Running running = ToolRun.start(Javastat.class, "-p", Integer.toString(jvm.pid()), "--json",
                    "1");
            jvm.run("go");
            long seen = running.outSoFar().lines().count();
            // one line per interval: the second after the child was done read the counters after it
            running.awaitMoreLines(seen, 2);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            long gc = 0, cload = 0, thread = 0, objnew = 0;
            Pattern json = Pattern.compile("\\{\"time\":\"\\d\\d:\\d\\d:\\d\\d\",\"pid\":" + jvm.pid()
                    + ",\"cmdline\":\"java [^\"]*StatUNIQUE.java\",\"interval_s\":1,\"method\":null,\"gc\":(\\d+),"
                    + "\"objnew\":(\\d+),\"cload\":(\\d+),\"thread\":(\\d+)}".replace("UNIQUE", jvm.unique));
            for (String l : r.out().lines().toList()) {
                Matcher m = json.matcher(l);
                assertThat(m.matches()).as(l).isTrue();
                gc += Long.parseLong(m.group(1));
                objnew += Long.parseLong(m.group(2));
                cload += Long.parseLong(m.group(3));
                thread += Long.parseLong(m.group(4));
            }
            assertThat(new long[]{gc, cload, thread}).as(r.out()).containsExactly(3, 5, 4);
            // the 4 Worker objects and the 4 Thread objects' parts at least; reading the line allocates a few more
            assertThat(objnew).as(r.out()).isGreaterThanOrEqualTo(4).isLessThan(1000);
        }
    }
}
