package io.bpf4j.tools.jvm;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * javathreads on a child JVM that, once the tool is attached, starts {@value #THREADS} threads with names of its
 * own ({@code jt-UNIQUE-i}, the odd ones daemons), lets each end and joins it, then says which
 * {@code Thread.threadId()} each had: the tool must show exactly one start and one stop per thread, with its
 * name, id and daemon flag. The stop probe fires on the ending thread before join() returns, so when the child
 * says it is done, the events are in the ring buffer, and stopping the tool (as Ctrl-C) prints them.
 */
@KernelTest
class JavathreadsTest {
    private static final int THREADS = 4;
    private static final String PROGRAM = """
            import java.io.*;

            public class Threads {
                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        int n = Integer.parseInt(line.trim());
                        StringBuilder ids = new StringBuilder("done");
                        for (int i = 0; i < n; i++) {
                            Thread t = new Thread(() -> { }, "jt-UNIQUE-" + i);
                            t.setDaemon(i % 2 == 1);
                            t.start();
                            t.join();
                            ids.append(' ').append(t.threadId());
                        }
                        System.out.println(ids);
                    }
                }
            }
            """;

    @TempDir
    Path dir;

    @Test
    void showsEachThreadStartAndStop() throws Exception {
        try (ControlledJvm child = new ControlledJvm(dir, "Threads", PROGRAM)) {
            ToolRun.Running running = ToolRun.start(Javathreads.class, "-p", Integer.toString(child.pid()));
            long[] ids = jtids(child.run(Integer.toString(THREADS)));
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines.get(0)).isEqualTo("Tracing thread events in process " + child.pid()
                    + " (language: java)... Ctrl-C to quit.");
            assertThat(lines.get(1)).isEqualTo("TIME     PID     TID     JTID    TYPE  DAEMON NAME");
            List<String> ours = lines.stream().filter(l -> l.contains(" jt-" + child.unique + "-")).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                for (String type : List.of("start", "stop")) {
                    expected.add(child.pid() + " " + ids[i] + " " + type + " " + (i % 2 == 1 ? "yes" : "no")
                            + " jt-" + child.unique + "-" + i);
                }
            }
            // TIME PID TID JTID TYPE DAEMON NAME: all but the time and the kernel's thread id, compared exactly
            assertThat(ours.stream().map(l -> {
                String[] c = l.trim().split("\\s+");
                assertThat(c[0]).matches("\\d\\d:\\d\\d:\\d\\d");
                assertThat(Long.parseLong(c[2])).as("kernel tid").isGreaterThan(child.pid());
                return String.join(" ", c[1], c[3], c[4], c[5], c[6]);
            }).toList()).as(r.out()).containsExactlyElementsOf(expected);
        }
    }

    @Test
    void json() throws Exception {
        try (ControlledJvm child = new ControlledJvm(dir, "Threads", PROGRAM)) {
            ToolRun.Running running = ToolRun.start(Javathreads.class, "-p", Integer.toString(child.pid()), "--json");
            long[] ids = jtids(child.run("1"));
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> ours = r.linesWith("\"name\":\"jt-" + child.unique + "-0\"");
            assertThat(ours).as(r.out()).hasSize(2);
            assertThat(ours.get(0)).startsWith("{\"event\":\"thread\",\"ts\":").contains("\"pid\":" + child.pid() + ",")
                    .contains("\"jtid\":" + ids[0] + ",").contains("\"daemon\":0,").contains("\"type\":\"start\"");
            assertThat(ours.get(1)).contains("\"jtid\":" + ids[0] + ",").contains("\"type\":\"stop\"");
        }
    }

    private static long[] jtids(String done) {
        return Arrays.stream(done.substring("done ".length()).split(" ")).mapToLong(Long::parseLong).toArray();
    }
}
