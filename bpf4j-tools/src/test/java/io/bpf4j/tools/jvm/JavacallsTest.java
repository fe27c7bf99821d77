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
 * javacalls on a child JVM started with -XX:+DTraceMethodProbes which, once the tool is attached, calls work() once,
 * which calls target() 20000 times (interpreted at first, then compiled and inlined), other() 3000 times and
 * fact(10), which recurses down to fact(1): ten calls. The class is named uniquely and has no other method that
 * runs then (no lambda, no string concatenation, which would bring hidden classes of its name), so with -C its
 * name the table is exactly those four rows. The calls are done before the child answers; the probes fire in the
 * calling thread, so once the child has answered the tool is stopped and has them all.
 */
@KernelTest
class JavacallsTest {
    private static final String PROGRAM = """
            import java.io.*;

            public class CallsUNIQUE {
                static long sum;

                static void target(int i) {
                    sum += i;
                }

                static void other(int i) {
                    sum -= i;
                }

                static long fact(int n) {
                    return n <= 1 ? 1 : n * fact(n - 1);
                }

                static void work() {
                    for (int i = 0; i < 20000; i++) target(i);
                    for (int i = 0; i < 3000; i++) other(i);
                    sum += fact(10);
                }

                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        work();
                        System.out.println("done");
                    }
                }
            }
            """;

    @TempDir
    Path dir;

    private ControlledJvm child(String... flags) throws Exception {
        return new ControlledJvm(dir, "CallsUNIQUE", PROGRAM, flags);
    }

    @Test
    void countsTheCallsOfAClass() throws Exception {
        try (ControlledJvm jvm = child("-XX:+DTraceMethodProbes")) {
            String c = "Calls" + jvm.unique;
            ToolRun.Running running = ToolRun.start(Javacalls.class, "-p", Integer.toString(jvm.pid()), "-C", c);
            assertThat(running.outSoFar()).isEqualTo("Tracing calls in process " + jvm.pid() + " (language: java, "
                    + "classes " + c + "*)... Ctrl-C to quit.\n");
            jvm.run("go");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).as("nothing lost").isEmpty();
            assertThat(r.out().lines().skip(1).toList()).containsExactly(
                    "",
                    String.format("%-50s %8s", "METHOD", "# CALLS"),
                    String.format("%-50s %8d", c + ".target", 20000),
                    String.format("%-50s %8d", c + ".other", 3000),
                    String.format("%-50s %8d", c + ".fact", 10),
                    String.format("%-50s %8d", c + ".work", 1));
        }
    }

    /** -L times each call, recursive ones too; -M keeps the methods named so; -T the first rows. */
    @Test
    void timesTheCalls() throws Exception {
        try (ControlledJvm jvm = child("-XX:+DTraceMethodProbes")) {
            String c = "Calls" + jvm.unique, pid = Integer.toString(jvm.pid());
            ToolRun.Running running = ToolRun.start(Javacalls.class, "-p", pid, "-C", c.substring(0, c.length() - 2),
                    "-M", "fact", "-L");
            jvm.run("go");
            jvm.run("go");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().skip(2).findFirst()).hasValue(String.format("%-50s %8s %10s", "METHOD",
                    "# CALLS", "TIME (us)"));
            List<String> rows = r.out().lines().skip(3).toList();
            assertThat(rows).as(r.out()).hasSize(1);
            Matcher m = Pattern.compile(Pattern.quote(c) + "\\.fact +20 +(\\d+\\.\\d\\d)").matcher(rows.getFirst());
            assertThat(m.matches()).as(rows.getFirst()).isTrue();
            assertThat(Double.parseDouble(m.group(1))).isPositive();

            ToolRun.Running top = ToolRun.start(Javacalls.class, "-p", pid, "-C", c, "-T", "2", "--json");
            jvm.run("go");
            ToolRun t = top.stop();
            assertThat(t.exit()).as(t.err()).isZero();
            assertThat(t.out().lines().toList()).containsExactly(
                    "{\"class\":\"" + c + "\",\"method\":\"target\",\"calls\":20000}",
                    "{\"class\":\"" + c + "\",\"method\":\"other\",\"calls\":3000}");
        }
    }

    @Test
    void saysWhichFlagIsMissing() throws Exception {
        try (ControlledJvm jvm = child()) {
            ToolRun.assumeRoot();
            var cl = new picocli.CommandLine(new Javacalls());
            var err = new java.io.StringWriter();
            cl.setErr(new java.io.PrintWriter(err, true));
            cl.setExecutionExceptionHandler((ex, cmd, p) -> {
                cmd.getErr().println(ex.getMessage());
                return 1;
            });
            assertThat(cl.execute("-p", Integer.toString(jvm.pid()), "-C", "x")).isEqualTo(1);
            assertThat(err.toString()).isEqualTo("process " + jvm.pid() + " (java) runs without "
                    + "-XX:+DTraceMethodProbes, so its JVM never fires hotspot:method__entry; restart it with that "
                    + "flag\n");
        }
    }
}
