package io.bpf4j.tools.jvm;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * javaobjnew on a child JVM started with -XX:+DTraceAllocProbes which, once the tool is attached, allocates exactly
 * 20000 objects of one uniquely named class (16 bytes each: a 12-byte header, no field) and 10000 of another (48
 * bytes: the header and four longs), keeping them all: the tool must show exactly those counts and bytes, in the
 * order -C and -S ask for. The allocations are done before the child answers, and the probe counts them in the
 * allocating thread, so once the child has answered the tool is stopped and has them all.
 */
@KernelTest
class JavaobjnewTest {
    private static final String PROGRAM = """
            import java.io.*;

            public class ObjnewUNIQUE {
                static final class Small {
                }

                static final class Big {
                    long a, b, c, d;
                }

                static Object[] kept;

                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        Object[] keep = new Object[30000];
                        for (int i = 0; i < 20000; i++) keep[i] = new Small();
                        for (int i = 20000; i < 30000; i++) keep[i] = new Big();
                        kept = keep;
                        System.out.println("done");
                    }
                }
            }
            """;

    @TempDir
    Path dir;

    private ControlledJvm child(String... flags) throws Exception {
        return new ControlledJvm(dir, "ObjnewUNIQUE", PROGRAM, flags);
    }

    /** The rows of the table for the child's two classes, in the order printed. */
    private static List<String> ours(ToolRun r, String unique) {
        return r.out().lines().filter(l -> l.startsWith("Objnew" + unique + "$")).toList();
    }

    @Test
    void countsAllocationsPerClass() throws Exception {
        try (ControlledJvm jvm = child("-XX:+DTraceAllocProbes")) {
            ToolRun.Running running = ToolRun.start(Javaobjnew.class, "-p", Integer.toString(jvm.pid()));
            assertThat(running.outSoFar()).isEqualTo("Tracing allocations in process " + jvm.pid()
                    + " (language: java)... Ctrl-C to quit.\n");
            jvm.run("go");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).as("nothing lost").isEmpty();
            assertThat(r.out()).contains("\nNAME/TYPE                      # ALLOCS      # BYTES\n");
            String u = jvm.unique;
            // by bytes, the largest first
            assertThat(ours(r, u)).containsExactly(
                    String.format("%-30s %8d %12d", "Objnew" + u + "$Big", 10000, 480000),
                    String.format("%-30s %8d %12d", "Objnew" + u + "$Small", 20000, 320000));
        }
    }

    @Test
    void topByCountAndBySize() throws Exception {
        try (ControlledJvm jvm = child("-XX:+DTraceAllocProbes")) {
            String pid = Integer.toString(jvm.pid()), u = jvm.unique;
            ToolRun.Running byCount = ToolRun.start(Javaobjnew.class, "-p", pid, "-C", "2");
            jvm.run("go");
            ToolRun c = byCount.stop();
            assertThat(c.exit()).as(c.err()).isZero();
            assertThat(c.out().lines().skip(3).toList()).as(c.out()).containsExactly(
                    String.format("%-30s %8d %12d", "Objnew" + u + "$Small", 20000, 320000),
                    String.format("%-30s %8d %12d", "Objnew" + u + "$Big", 10000, 480000));
            ToolRun.Running bySize = ToolRun.start(Javaobjnew.class, "-p", pid, "-S", "1");
            jvm.run("go");
            ToolRun s = bySize.stop();
            assertThat(s.exit()).as(s.err()).isZero();
            assertThat(s.out().lines().skip(3).toList()).as(s.out()).containsExactly(
                    String.format("%-30s %8d %12d", "Objnew" + u + "$Big", 10000, 480000));
        }
    }

    /** Every interval shows what was allocated since the last: two rounds, wherever the intervals cut them, add up. */
    @Test
    void intervalsAddUpAsJson() throws Exception {
        try (ControlledJvm jvm = child("-XX:+DTraceAllocProbes")) {
            String u = jvm.unique;
            ToolRun.Running running = ToolRun.start(Javaobjnew.class, "-p", Integer.toString(jvm.pid()), "--json",
                    "1");
            jvm.run("go");
            jvm.run("go");
            String small = "{\"class\":\"Objnew" + u + "$Small\",\"allocs\":";
            // the interval that printed the last of them read the counts after the child was done
            running.awaitOut("all Small objects", o -> sum(o, small) == 40000);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(sum(r.out(), small)).isEqualTo(40000);
            assertThat(sum(r.out(), "{\"class\":\"Objnew" + u + "$Big\",\"allocs\":")).isEqualTo(20000);
        }
    }

    private static long sum(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix))
                .mapToLong(l -> Long.parseLong(l.substring(prefix.length(), l.indexOf(',', prefix.length()))))
                .sum();
    }

    @Test
    void saysWhichFlagIsMissing() throws Exception {
        try (ControlledJvm jvm = child()) {
            ToolRun.assumeRoot();
            var tool = new Javaobjnew();
            var cl = new picocli.CommandLine(tool);
            var err = new java.io.StringWriter();
            cl.setErr(new java.io.PrintWriter(err, true));
            cl.setOut(new java.io.PrintWriter(new java.io.StringWriter(), true));
            cl.setExecutionExceptionHandler((ex, c, p) -> {
                c.getErr().println(ex.getMessage());
                return 1;
            });
            assertThat(cl.execute("-p", Integer.toString(jvm.pid()))).isEqualTo(1);
            assertThat(err.toString()).isEqualTo("process " + jvm.pid() + " (java) runs without "
                    + "-XX:+DTraceAllocProbes, so its JVM never fires hotspot:object__alloc; restart it with that "
                    + "flag\n");
        }
    }
}
