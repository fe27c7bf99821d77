package io.bpf4j.bpftrace;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ustack} of a JVM started with no flag names its JIT-compiled methods: bt has the JVM write its perf map
 * through the Attach API (bpftrace would print addresses, since a JVM writes no map unless asked).
 */
@KernelTest
class JavaStacksTest {
    private static final String TARGET = """
            import java.io.*;
            import java.lang.management.*;

            public class Bpf4jBtJavaTarget {
                static volatile long sink;

                static long bpf4jBtSpin(long n) {
                    long x = 0;
                    for (long i = 0; i < n; i++) x += (i * 31) ^ (x >>> 3);
                    return x;
                }

                public static void main(String[] args) throws Exception {
                    for (int i = 0; i < 20_000; i++) sink += bpf4jBtSpin(1_000); // JIT-compiled by now
                    System.out.println("ready");
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    in.readLine();
                    // a fixed amount of its own CPU time, however busy the machine is
                    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                    long start = threads.getCurrentThreadCpuTime();
                    while (threads.getCurrentThreadCpuTime() - start < 1_500_000_000L) sink += bpf4jBtSpin(100_000);
                }
            }
            """;

    @Test
    void ustackOfAJvmNamesItsJitCompiledMethods(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("Bpf4jBtJavaTarget.java");
        Files.writeString(src, TARGET);
        assertThat(ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", dir.toString(), src.toString()))
                .isZero();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, "-cp", dir.toString(), "Bpf4jBtJavaTarget")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        long pid = child.pid();
        Path perfMap = Path.of("/tmp/perf-" + pid + ".map");
        try (BufferedReader childOut = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
             PrintWriter childIn = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
             BpfTrace bt = BpfTrace.compile("profile:hz:99 /pid == " + pid + "/ { @[ustack] = count(); }",
                     Options.defaults().withQuiet(true).withPid((int) pid))) {
            assertThat(childOut.readLine()).isEqualTo("ready");
            StringWriter text = new StringWriter();
            CompletableFuture<Void> done = CompletableFuture.runAsync(() -> bt.run(new PrintWriter(text, true)));
            assertThat(bt.awaitAttached(Duration.ofSeconds(30))).as("attached").isTrue();
            // bt asks the JVM of -p for its perf map as it starts; the JVM spins once it has written it
            for (int i = 0; i < 600 && !Files.exists(perfMap); i++) Thread.sleep(100);
            assertThat(perfMap).as("the perf map bt asked the JVM for").exists();
            childIn.println("go");
            done.get(120, TimeUnit.SECONDS); // the -p process spun and exited, so bt ended
            assertThat(text.toString()).containsPattern("\\n {4}long Bpf4jBtJavaTarget\\.bpf4jBtSpin\\(long\\)"
                    + "\\+\\d+\\n");
        } finally {
            child.destroyForcibly().waitFor();
            Files.deleteIfExists(perfMap);
        }
    }
}
