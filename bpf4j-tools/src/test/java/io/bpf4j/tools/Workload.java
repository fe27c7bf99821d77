package io.bpf4j.tools;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tiny C (or C++) program compiled with gcc (g++) for a test ({@code -O0 -g -fno-omit-frame-pointer}, so its
 * user stacks unwind), run as a child with a unique command name and a unique {@code FN} function name. A program that must
 * not start its work before the tool attaches waits in {@code getchar()} until {@link #go()} writes a line on its
 * stdin.
 */
public final class Workload implements AutoCloseable {
    public final String function;
    public final String comm;
    public final Process process;
    private final Path dir;

    private Workload(String function, String comm, Process process, Path dir) {
        this.function = function;
        this.comm = comm;
        this.process = process;
        this.dir = dir;
    }

    /**
     * Compiles {@code source}, in which {@code FN} stands for the unique function name, and starts it.
     *
     * @param prefix the function's name before its unique number, and the command's (cut to fit TASK_COMM_LEN)
     */
    public static Workload start(String prefix, String source) throws Exception {
        return start(prefix, source, "gcc", ".c");
    }

    /** As {@link #start}, for a C++ program, compiled with g++. */
    public static Workload startCxx(String prefix, String source) throws Exception {
        return start(prefix, source, "g++", ".cc");
    }

    private static Workload start(String prefix, String source, String compiler, String suffix) throws Exception {
        int n = ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        String function = "bpf4j_" + prefix + "_" + n;
        String comm = prefix.substring(0, Math.min(prefix.length(), 8)) + n;
        Path dir = Files.createTempDirectory("bpf4j-workload-");
        Path c = dir.resolve(comm + suffix), exe = dir.resolve(comm);
        Files.writeString(c, source.replace("FN", function));
        Process gcc;
        try {
            gcc = new ProcessBuilder(compiler, "-O0", "-g", "-fno-omit-frame-pointer", "-o", exe.toString(),
                    c.toString()).redirectErrorStream(true).start();
        } catch (IOException noGcc) {
            assumeTrue(false, compiler + " is needed to build the workload: " + noGcc.getMessage());
            throw noGcc;
        }
        String log = new String(gcc.getInputStream().readAllBytes());
        if (gcc.waitFor() != 0) throw new IllegalStateException(compiler + " failed:\n" + log);
        return new Workload(function, comm, new ProcessBuilder(exe.toString()).start(), dir);
    }

    public int pid() {
        return (int) process.pid();
    }

    /** Lets the program go on past its next {@code getchar()}. */
    public void go() throws IOException {
        OutputStream in = process.getOutputStream();
        in.write('\n');
        in.flush();
    }

    /** Waits for the program to print a line (it says it has done its work). */
    public String awaitLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = process.getInputStream().read()) >= 0 && c != '\n') sb.append((char) c);
        if (c < 0) throw new IllegalStateException("the workload ended before it printed a line: " + sb);
        return sb.toString();
    }

    /** The CPU time the process used so far (user + system, from /proc/PID/stat, in clock ticks of 10 ms). */
    public double cpuSeconds() throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime: fields 14, 15
    }

    @Override
    public void close() throws Exception {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
