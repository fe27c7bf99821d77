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
 * javajit on a child JVM that, once the tool is attached, calls two uniquely named methods until the JIT compiles
 * them. The child runs with {@code -XX:CompileCommand=compileonly} for those two (nothing else is compiled),
 * {@code -Xbatch} (the calling thread waits for each compilation to end, so when the child says it is done both
 * compilations have ended, and in that order) and one compiler ({@code -XX:TieredStopAtLevel=1}: C1 only;
 * {@code -XX:-TieredCompilation}: C2 only), so each method is compiled exactly once, by a compiler the test knows.
 */
@KernelTest
class JavajitTest {
    private static final String PROGRAM = """
            import java.io.*;

            public class Jit {
                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    System.out.println("ready");
                    for (String line; (line = in.readLine()) != null; ) {
                        int n = Integer.parseInt(line.trim());
                        long sum = 0;
                        for (int i = 0; i < n; i++) sum += hot_UNIQUE_a(i);
                        for (int i = 0; i < n; i++) sum += hot_UNIQUE_b(i, "x");
                        System.out.println("done " + sum);
                    }
                }

                static int hot_UNIQUE_a(int x) {
                    return x * 31 + 7;
                }

                static long hot_UNIQUE_b(long x, String s) {
                    return x ^ s.length();
                }
            }
            """;
    /** Enough calls for either compiler's thresholds (C2 alone: 10000 invocations). */
    private static final String CALLS = "100000";

    @TempDir
    Path dir;

    private ControlledJvm child(String compilers) throws Exception {
        return new ControlledJvm(dir, "Jit", PROGRAM, "-Xbatch", compilers, "-XX:CompileCommand=quiet",
                "-XX:CompileCommand=compileonly,Jit::hot_*");
    }

    @Test
    void showsEachCompilation() throws Exception {
        try (ControlledJvm child = child("-XX:TieredStopAtLevel=1")) {
            ToolRun.Running running = ToolRun.start(Javajit.class, "-p", Integer.toString(child.pid()));
            child.run(CALLS);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines.subList(0, 2)).containsExactly("Tracing JIT compilations in process " + child.pid()
                    + " (language: java)... Ctrl-C to quit.", "TIME     PID     TID     COMPILER TIME(us)   OK  METHOD");
            List<String[]> compiles = lines.stream().skip(2).map(l -> l.trim().split("\\s+")).toList();
            assertThat(compiles.stream().map(c -> c[1] + " " + c[3] + " " + c[5] + " " + c[6]).toList()).as(r.out())
                    .containsExactly(child.pid() + " C1 yes Jit::hot_" + child.unique + "_a(I)I",
                            child.pid() + " C1 yes Jit::hot_" + child.unique + "_b(JLjava/lang/String;)J");
            for (String[] c : compiles) {
                assertThat(c[0]).matches("\\d\\d:\\d\\d:\\d\\d");
                assertThat(Long.parseLong(c[2])).as("the compiler thread").isNotEqualTo(child.pid());
                assertThat(c[4]).matches("\\d+");
            }
        }
    }

    @Test
    void histogramPerCompiler() throws Exception {
        try (ControlledJvm child = child("-XX:-TieredCompilation")) {
            ToolRun.Running running = ToolRun.start(Javajit.class, "-p", Integer.toString(child.pid()), "-H");
            child.run(CALLS);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("Tracing JIT compilations in process " + child.pid()
                    + " (language: java)... Ctrl-C to quit.\n\ncompiler = C2\n")
                    .contains("     usecs               : count     distribution").doesNotContain("compiler = C1");
            long total = 0;
            Matcher m = Pattern.compile("(?m)^\\s+\\d+ -> \\d+\\s+: (\\d+)").matcher(r.out());
            while (m.find()) total += Long.parseLong(m.group(1));
            assertThat(total).as(r.out()).isEqualTo(2);
        }
    }

    @Test
    void json() throws Exception {
        try (ControlledJvm child = child("-XX:TieredStopAtLevel=1")) {
            ToolRun.Running running = ToolRun.start(Javajit.class, "-p", Integer.toString(child.pid()), "--json");
            child.run(CALLS);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines).as(r.out()).hasSize(2);
            assertThat(lines.getFirst()).startsWith("{\"event\":\"compile\",\"ts\":")
                    .contains("\"pid\":" + child.pid() + ",").contains("\"success\":1,")
                    .containsPattern("\"compile_ns\":[1-9]\\d*,").contains("\"compiler\":\"C1\",")
                    .contains("\"class_name\":\"Jit\",").contains("\"method\":\"hot_" + child.unique + "_a\",")
                    .contains("\"signature\":\"(I)I\"");
        }
    }
}
