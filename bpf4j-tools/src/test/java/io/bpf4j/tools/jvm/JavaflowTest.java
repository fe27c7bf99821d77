package io.bpf4j.tools.jvm;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * javaflow on a child JVM started with -XX:+DTraceMethodProbes which, once the tool is attached, runs a known chain
 * of calls of a uniquely named class: work() → outer() → middle(), which calls inner() twice. The flow shown must be
 * exactly that, indented by depth, on one thread. The calls are done before the child answers, and their events are
 * in the ring buffer before the probes return, so once the child has answered the tool is stopped (and reads what
 * is left) with them all.
 */
@KernelTest
class JavaflowTest {
    private static final String PROGRAM = """
            import java.io.*;

            public class FlowUNIQUE {
                static long sum;

                static void inner(int i) {
                    sum += i;
                }

                static void middle() {
                    inner(1);
                    inner(2);
                }

                static void outer() {
                    middle();
                }

                static void work() {
                    outer();
                }

                static void thrower() {
                    throw new IllegalStateException("unwinds thrower() and unwound()");
                }

                static void unwound() {
                    thrower();
                }

                static int catcher() {
                    try {
                        unwound();
                        return 0;
                    } catch (IllegalStateException e) {
                        return 1;
                    }
                }

                static void throwing(int n) {
                    for (int i = 0; i < n; i++) sum += catcher();
                }

                static void many(int n) {
                    for (int i = 0; i < n; i++) inner(i);
                }

                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.equals("work")) work();
                        else if (line.equals("throw")) throwing(20);
                        else if (line.equals("compile")) for (int i = 0; i < 500; i++) throwing(100);
                        else many(Integer.parseInt(line));
                        System.out.println("done");
                    }
                }
            }
            """;
    /** Where the METHOD column starts: CPU, PID, TID and TIME(s) are 3, 6, 6 and 10 wide, each then a space. */
    private static final int METHOD_COLUMN = 4 + 7 + 7 + 11;
    /** How many times the test makes catcher() catch what thrower() threw, compiled. */
    private static final int THROWS = 20;

    @TempDir
    Path dir;

    @Test
    void showsTheChainIndented() throws Exception {
        try (ControlledJvm jvm = new ControlledJvm(dir, "FlowUNIQUE", PROGRAM, "-XX:+DTraceMethodProbes")) {
            String c = "Flow" + jvm.unique;
            ToolRun.Running running = ToolRun.start(Javaflow.class, "-p", Integer.toString(jvm.pid()), "-C", c);
            jvm.run("work");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).as("nothing lost").isEmpty();
            List<String> lines = r.out().lines().toList();
            assertThat(lines.subList(0, 2)).containsExactly(
                    "Tracing method calls in java process " + jvm.pid() + " (classes " + c + "*)... Ctrl-C to quit.",
                    "CPU PID    TID    TIME(s)    METHOD");
            List<String> calls = lines.subList(2, lines.size());
            assertThat(calls.stream().map(l -> l.substring(METHOD_COLUMN)).toList()).as(r.out()).containsExactly(
                    "-> " + c + ".work",
                    "  -> " + c + ".outer",
                    "    -> " + c + ".middle",
                    "      -> " + c + ".inner",
                    "      <- " + c + ".inner",
                    "      -> " + c + ".inner",
                    "      <- " + c + ".inner",
                    "    <- " + c + ".middle",
                    "  <- " + c + ".outer",
                    "<- " + c + ".work");
            String tid = calls.getFirst().substring(11, 18);
            for (String l : calls) {
                assertThat(l.substring(4, 11).strip()).isEqualTo(Integer.toString(jvm.pid()));
                assertThat(l.substring(11, 18)).as("one thread").isEqualTo(tid);
                assertThat(l.substring(18, 29)).matches("\\d+\\.\\d{6} +");
            }
        }
    }

    /**
     * An exception thrown by thrower() unwinds it and unwound() up to catcher(), 20 times in a loop, after the child
     * ran that loop 500 times compiling in the foreground (-Xbatch), so that compiled code runs it. In this test's
     * runs HotSpot fired the returns of the unwound calls; on a long-running program whose C2 code had the throw and
     * the catch inlined into one method it fired none (not made to happen here). Either way each catcher() return is
     * matched with its own entry, and the calls after it are at their true depth: the flow, without the returns of
     * the unwound calls wherever they were fired, is exactly the calls made.
     */
    @Test
    void anExceptionUnwindsTheCallsAboveTheCatcher() throws Exception {
        try (ControlledJvm jvm = new ControlledJvm(dir, "FlowUNIQUE", PROGRAM, "-XX:+DTraceMethodProbes",
                "-Xbatch")) {
            String c = "Flow" + jvm.unique;
            jvm.run("compile");
            jvm.run("compile");
            ToolRun.Running running = ToolRun.start(Javaflow.class, "-p", Integer.toString(jvm.pid()), "-C", c);
            jvm.run("throw");
            jvm.run("work");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            List<String> flow = lines.subList(2, lines.size()).stream().map(l -> l.substring(METHOD_COLUMN)).toList();
            List<String> unwound = List.of("      <- " + c + ".thrower", "    <- " + c + ".unwound");
            List<String> expected = new ArrayList<>();
            expected.add("-> " + c + ".throwing");
            for (int i = 0; i < THROWS; i++) {
                expected.addAll(List.of("  -> " + c + ".catcher", "    -> " + c + ".unwound", "      -> " + c + ".thrower",
                        "  <- " + c + ".catcher"));
            }
            expected.addAll(List.of(
                    "<- " + c + ".throwing",
                    "-> " + c + ".work",
                    "  -> " + c + ".outer",
                    "    -> " + c + ".middle",
                    "      -> " + c + ".inner",
                    "      <- " + c + ".inner",
                    "      -> " + c + ".inner",
                    "      <- " + c + ".inner",
                    "    <- " + c + ".middle",
                    "  <- " + c + ".outer",
                    "<- " + c + ".work"));
            // the returns of the unwound calls, where the JVM fired them (interpreted), come in their place
            assertThat(flow.stream().filter(l -> !unwound.contains(l)).toList()).as(r.out())
                    .containsExactlyElementsOf(expected);
            long fired = flow.stream().filter(unwound::contains).count();
            System.out.println("JavaflowTest: the JVM fired " + fired + " of the " + 2 * THROWS
                    + " returns of unwound calls");
        }
    }

    /** -M keeps inner() only: 1000 calls, 2000 events (well within the ring buffer), none lost; JSON lines. */
    @Test
    void everyCallOfAMethodAsJson() throws Exception {
        try (ControlledJvm jvm = new ControlledJvm(dir, "FlowUNIQUE", PROGRAM, "-XX:+DTraceMethodProbes")) {
            String c = "Flow" + jvm.unique;
            ToolRun.Running running = ToolRun.start(Javaflow.class, "-p", Integer.toString(jvm.pid()), "-C", c,
                    "-M", "inn", "--json");
            jvm.run("1000");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).as("nothing lost").isEmpty();
            List<String> lines = r.out().lines().toList();
            assertThat(lines).hasSize(2000);
            String fields = ",\"pid\":" + jvm.pid() + ",\"tid\":";
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                assertThat(l).startsWith(i % 2 == 0 ? "{\"event\":\"entry\",\"ts\":" : "{\"event\":\"return\",\"ts\":")
                        .contains(fields).endsWith(",\"depth\":1,\"class\":\"" + c + "\",\"method\":\"inner\"}");
            }
        }
    }
}
