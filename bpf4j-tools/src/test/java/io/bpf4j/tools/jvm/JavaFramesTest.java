package io.bpf4j.tools.jvm;

import io.bpf4j.core.symbols.HotSpotJvms;
import io.bpf4j.core.symbols.PerfMap;
import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import io.bpf4j.tools.cpu.Profile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Java frames in {@code profile -p PID -f} of a child JVM started with no flag: the tool has it write its perf map
 * through the Attach API, and names its JIT-compiled methods. The child runs three uniquely named methods, called
 * through one megamorphic call site so that the JIT does not inline them into their caller, once the tool has said
 * that the child wrote its map (the methods are compiled after that: the tool must ask for the map again), for a
 * fixed amount of its own CPU time (not of wall time), then says it is done; the tool is then stopped.
 *
 * <p>A stack is "attributed" when it names one of the three methods, "complete" when it reaches the thread's entry
 * ({@code JavaMain}, as {@code start_thread} calls it). JIT-compiled code keeps no frame pointer unless the JVM runs
 * with {@code -XX:+PreserveFramePointer}: without it, stacks stop at the first JIT-compiled frame, and the tool says
 * which flag gives complete stacks.
 */
@KernelTest
class JavaFramesTest {
    /** The hot methods: classes named for this test, each one {@code spin} method. */
    private static final List<String> HOT = List.of("Bpf4jHotAlpha", "Bpf4jHotBeta", "Bpf4jHotGamma");
    /** CPU time the child spends in the hot methods: ~200 samples at 99 Hz. */
    private static final long HOT_CPU_MS = 2000;
    private static final String PROGRAM = """
            import java.io.*;
            import java.lang.management.*;

            interface Spin { long spin(long n); }
            final class Bpf4jHotAlpha implements Spin {
                public long spin(long n) {
                    long x = 0;
                    for (long i = 0; i < n; i++) x += (i * 31) ^ (x >>> 3);
                    return x;
                }
            }
            final class Bpf4jHotBeta implements Spin {
                public long spin(long n) { long x = 1; for (long i = 0; i < n; i++) x = x * 17 + i; return x; }
            }
            final class Bpf4jHotGamma implements Spin {
                public long spin(long n) { long x = 3; for (long i = 0; i < n; i++) x ^= x << 7 ^ i; return x; }
            }

            public class JavaFramesTarget {
                static volatile long sink;

                public static void main(String[] args) throws Exception {
                    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
                    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                    Spin[] spins = { new Bpf4jHotAlpha(), new Bpf4jHotBeta(), new Bpf4jHotGamma() };
                    long start = threads.getCurrentThreadCpuTime();
                    System.out.println("ready");
                    long budget = Long.parseLong(in.readLine().trim()) * 1_000_000;
                    start = threads.getCurrentThreadCpuTime();
                    long x = 0;
                    while (threads.getCurrentThreadCpuTime() - start < budget) {
                        for (int i = 0; i < 300; i++) x += spins[i % 3].spin(10_000);
                    }
                    sink = x;
                    System.out.println("done");
                    in.readLine();
                }
            }
            """;
    private static final Pattern ATTACHED = Pattern.compile("profile: attached to JVM \\d+, which wrote its perf map");

    @TempDir
    static Path classes;

    /** Compiled for Java 17, so that both JDKs run it. */
    @BeforeAll
    static void compile() throws IOException {
        Path src = classes.resolve("JavaFramesTarget.java");
        Files.writeString(src, PROGRAM);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertThat(javac.run(null, null, null, "--release", "17", "-d", classes.toString(), src.toString()))
                .as("javac of the child's program").isZero();
    }

    /** The folded stacks of one profile run, and what the tool said on stderr. */
    private record Profiled(List<String> lines, String err) {
        long samples(Predicate<String> stack) {
            return lines.stream().filter(stack).mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)))
                    .sum();
        }

        long all() {
            return samples(l -> true);
        }

        long attributed() {
            return samples(l -> HOT.stream().anyMatch(h -> l.contains("long " + h + ".spin(long)_[j]")));
        }

        List<String> unattributed() {
            return lines.stream().filter(l -> HOT.stream().noneMatch(h -> l.contains("long " + h + ".spin(long)_[j]")))
                    .toList();
        }

        long complete() {
            return samples(l -> l.contains(";JavaMain;") && HOT.stream().anyMatch(h -> l.contains(h + ".spin")));
        }

        String figures() {
            return all() + " samples, " + attributed() + " naming a hot method, " + complete() + " of them complete";
        }
    }

    /** Runs the child with {@code java} and {@code flags}, profiles it while it spins, and returns what was seen. */
    private static Profiled profile(String java, String... flags) throws Exception {
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(List.of(flags));
        command.addAll(List.of("-cp", classes.toString(), "JavaFramesTarget"));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // the map the tool has the child write: the child shares this process's /tmp
        Path perfMap = Path.of("/tmp").resolve(PerfMap.path(child.pid()).getFileName());
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            PrintWriter in = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
            assertThat(line(out)).isEqualTo("ready");
            // a larger stack map than the default 1024: stacks whose hash collides with another's are not kept, and
            // with frame pointers there are tens of distinct deep stacks (one missed was ~10% of the samples)
            ToolRun.Running running = ToolRun.start(Profile.class, "-f", "-F", "99", "--stack-storage-size", "16384",
                    "-p", Long.toString(child.pid()));
            // the tool reads the process it traces first: once it says the child wrote its map, the methods that
            // will run are not compiled yet, and are named only if the tool has the map written again
            awaitErr(running, "the attach note", e -> ATTACHED.matcher(e).find());
            in.println(HOT_CPU_MS);
            assertThat(line(out)).isEqualTo("done");
            ToolRun r = running.stop();
            in.println("exit");
            assertThat(r.exit()).as(r.err()).isZero();
            Profiled p = new Profiled(r.out().lines().toList(), r.err());
            System.out.println("JavaFramesTest: " + String.join(" ", command) + ": " + p.figures() + "\n" + r.err()
                    + "not naming a hot method:\n" + String.join("\n", p.unattributed()));
            return p;
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(perfMap);
        }
    }

    @Test
    void namesTheJavaMethodsOfAJvmStartedWithoutFlags() throws Exception {
        Profiled p = profile(thisJava());
        assertAttributed(p);
        assertThat(p.err().lines().filter(l -> l.contains(HotSpotJvms.PRESERVE_FRAME_POINTER)).toList())
                .as("one note names the flag that gives complete stacks").hasSize(1);
    }

    @Test
    void completeStacksWithPreserveFramePointer() throws Exception {
        Profiled p = profile(thisJava(), HotSpotJvms.PRESERVE_FRAME_POINTER);
        assertAttributed(p);
        assertThat(p.err()).as("no flag note").doesNotContain(HotSpotJvms.PRESERVE_FRAME_POINTER);
        assertThat(p.complete()).as("complete stacks of the hot methods: " + p.figures() + "\n" + p.lines())
                .isGreaterThanOrEqualTo(p.attributed() * 8 / 10);
        assertThat(String.join("\n", p.lines())).contains("Interpreter_[i]");
    }

    @Test
    void namesTheJavaMethodsOfAJava17Jvm() throws Exception {
        Path java17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        assumeTrue(Files.isExecutable(java17), "no JDK 17 at " + java17);
        assertAttributed(profile(java17.toString()));
    }

    private static void assertAttributed(Profiled p) {
        assertThat(p.err()).containsPattern(ATTACHED);
        assertThat(p.all()).as("samples of the child").isGreaterThanOrEqualTo(50);
        assertThat(p.attributed() * 100).as(p.figures() + "\n" + String.join("\n", p.lines()))
                .isGreaterThanOrEqualTo(p.all() * 90);
        for (String h : HOT) assertThat(String.join("\n", p.lines())).contains("long " + h + ".spin(long)_[j]");
    }

    private static String thisJava() {
        return ProcessHandle.current().info().command().orElseThrow();
    }

    private static String line(BufferedReader out) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).get(120, TimeUnit.SECONDS);
    }

    /** Waits until the tool's stderr shows {@code what}; fails after a minute, showing it. */
    private static void awaitErr(ToolRun.Running running, String what, Predicate<String> seen) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!seen.test(running.errSoFar())) {
            assertThat(System.nanoTime()).as("the tool's stderr shows " + what + " within 60 s:\n"
                    + running.errSoFar()).isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
