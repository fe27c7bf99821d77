package io.bpf4j.bcc;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One of bpf4j-bcc/examples run as its users run it: Java's source launcher with the test class path (what
 * {@code bpf4j script} gives it), its output collected line by line. A test waits for the line saying the example is
 * attached before making its workload, then for the lines the workload caused. Waits end on the line or when the
 * example exits; the long limit only turns a hang into a failure.
 */
final class ExampleRun implements AutoCloseable {
    /** Only a hung example reaches this: every wait ends on a line or the example's exit first. */
    private static final Duration LIMIT = Duration.ofMinutes(3);

    private final Process process;
    private final Writer stdin;
    private final List<String> lines = new ArrayList<>();
    private final StringBuilder stderr = new StringBuilder();
    private final String name;
    private final Thread reader;

    private ExampleRun(String name, Process process) {
        this.name = name;
        this.process = process;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        Thread out = Thread.ofPlatform().daemon().start(() -> collect(new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)), lines));
        this.reader = out;
        Thread err = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = process.errorReader()) {
                String l;
                while ((l = r.readLine()) != null) {
                    synchronized (this) {
                        stderr.append(l).append('\n');
                    }
                }
            } catch (IOException ignored) {
                // the process is gone
            }
        });
        out.setName(name + " stdout");
        err.setName(name + " stderr");
    }

    private void collect(BufferedReader r, List<String> into) {
        try (r) {
            String l;
            while ((l = r.readLine()) != null) {
                synchronized (this) {
                    into.add(l);
                    notifyAll();
                }
            }
        } catch (IOException ignored) {
            // the process is gone
        } finally {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** The example file {@code name} (e.g. {@code MkdirCounter.java}). */
    static Path example(String name) {
        Path p = Path.of("examples", name);
        if (!Files.isRegularFile(p)) throw new IllegalStateException("no example " + p.toAbsolutePath());
        return p;
    }

    /** Starts example {@code file} with {@code args}, its compiled objects cached in {@code cache}. */
    static ExampleRun start(Path cache, String file, String... args) {
        return start(cache, List.of(), file, args);
    }

    /** Starts example {@code file} under {@code prefix} (e.g. {@code ip netns exec NS}). */
    static ExampleRun start(Path cache, List<String> prefix, String file, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(example(file).toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("BPF4J_CACHE_DIR", cache.toString());
        try {
            return new ExampleRun(file, pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for a line matching {@code match} and returns it; fails with the output when the example exits first. */
    String await(Predicate<String> match, String what) {
        return await(0, match, what);
    }

    /** {@link #await(Predicate, String)} among the lines after the first {@code from}. */
    synchronized String await(int from, Predicate<String> match, String what) {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        int seen = from;
        while (true) {
            for (; seen < lines.size(); seen++) if (match.test(lines.get(seen))) return lines.get(seen);
            if (!reader.isAlive()) { // stdout ended: every line is in (the reader adds them before it ends)
                for (; seen < lines.size(); seen++) if (match.test(lines.get(seen))) return lines.get(seen);
                throw new AssertionError(name + " ended its output before printing " + what + "\n" + output());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) throw new AssertionError(name + " did not print " + what + "\n" + output());
            try {
                wait(Math.min(200, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
        }
    }

    /** Writes {@code line} to the example's stdin. */
    void send(String line) {
        try {
            stdin.write(line + "\n");
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes the example's stdin (its end-of-input: examples that print at the end do so then). */
    void closeInput() {
        try {
            stdin.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for the example to exit and returns its exit code. */
    int waitFor() {
        try {
            if (!process.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not exit\n" + output());
            }
            reader.join(); // the last lines are in
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The lines printed so far. */
    synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    /** What the example printed, for failure messages. */
    synchronized String output() {
        return "stdout:\n" + String.join("\n", lines) + "\nstderr:\n" + stderr;
    }

    /** The process. */
    Process process() {
        return process;
    }

    /** Ends the example with SIGTERM (as {@code kill} does) and waits for it. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                process.waitFor(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
