package io.bpf4j.tools.jvm;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
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

                static void many(int n) {
                    for (int i = 0; i < n; i++) inner(i);
                }

                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        if (line.equals("work")) work();
                        else many(Integer.parseInt(line));
                        System.out.println("done");
                    }
                }
            }
            """;
    /** Where the METHOD column starts: CPU, PID, TID and TIME(s) are 3, 6, 6 and 10 wide, each then a space. */
    private static final int METHOD_COLUMN = 4 + 7 + 7 + 11;

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
