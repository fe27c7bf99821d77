package io.bpf4j.tools.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tiny C program compiled with gcc for a test ({@code -O0 -fno-omit-frame-pointer}, so its user stacks unwind),
 * its one interesting function given a unique name, run as a child process whose command name is unique too.
 */
final class Workload implements AutoCloseable {
    final String function;
    final String comm;
    final Process process;
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
    static Workload start(String prefix, String source) throws Exception {
        int n = ThreadLocalRandom.current().nextInt(100_000, 1_000_000);
        String function = "bpf4j_" + prefix + "_" + n;
        String comm = prefix.substring(0, Math.min(prefix.length(), 8)) + n;
        Path dir = Files.createTempDirectory("bpf4j-cpu-");
        Path c = dir.resolve(comm + ".c"), exe = dir.resolve(comm);
        Files.writeString(c, source.replace("FN", function));
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O0", "-fno-omit-frame-pointer", "-o", exe.toString(), c.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException noGcc) {
            assumeTrue(false, "gcc is needed to build the workload: " + noGcc.getMessage());
            throw noGcc;
        }
        String log = new String(gcc.getInputStream().readAllBytes());
        if (gcc.waitFor() != 0) throw new IllegalStateException("gcc failed:\n" + log);
        return new Workload(function, comm, new ProcessBuilder(exe.toString()).start(), dir);
    }

    int pid() {
        return (int) process.pid();
    }

    /** The CPU time the process used so far (user + system, from /proc/PID/stat, in clock ticks of 10 ms). */
    double cpuSeconds() throws IOException {
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
