package io.bpf4j.tools.mem;

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
 * A tiny C program compiled with gcc for a test (as cpu's Workload: {@code -O0 -fno-omit-frame-pointer}, so its
 * user stacks unwind, and {@code -g}), run as a child with a unique command name and a unique {@code FN} function
 * name. It is started before the tool (which needs its pid) and does its work when {@link #go()} writes a line on
 * its stdin, so that everything it does at start-up is over before the tool attaches.
 */
final class Child implements AutoCloseable {
    final String function;
    final String comm;
    final Process process;
    private final Path dir;

    private Child(String function, String comm, Process process, Path dir) {
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
    static Child start(String prefix, String source) throws Exception {
        int n = ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        String function = "bpf4j_" + prefix + "_" + n;
        String comm = prefix.substring(0, Math.min(prefix.length(), 8)) + n;
        Path dir = Files.createTempDirectory("bpf4j-mem-");
        Path c = dir.resolve(comm + ".c"), exe = dir.resolve(comm);
        Files.writeString(c, source.replace("FN", function));
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O0", "-g", "-fno-omit-frame-pointer", "-o", exe.toString(),
                    c.toString()).redirectErrorStream(true).start();
        } catch (IOException noGcc) {
            assumeTrue(false, "gcc is needed to build the workload: " + noGcc.getMessage());
            throw noGcc;
        }
        String log = new String(gcc.getInputStream().readAllBytes());
        if (gcc.waitFor() != 0) throw new IllegalStateException("gcc failed:\n" + log);
        return new Child(function, comm, new ProcessBuilder(exe.toString()).start(), dir);
    }

    int pid() {
        return (int) process.pid();
    }

    /** Lets the program go on past its next {@code getchar()}. */
    void go() throws IOException {
        OutputStream in = process.getOutputStream();
        in.write('\n');
        in.flush();
    }

    /** Waits for the program to print a line (it says it has done its work). */
    String awaitLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = process.getInputStream().read()) >= 0 && c != '\n') sb.append((char) c);
        if (c < 0) throw new IllegalStateException("the workload ended before it printed a line: " + sb);
        return sb.toString();
    }

    @Override
    public void close() throws Exception {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
