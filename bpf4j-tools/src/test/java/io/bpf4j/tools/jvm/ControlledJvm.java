package io.bpf4j.tools.jvm;

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
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A child JVM (this JVM's own java, running a one-file program through the source launcher) that does what the test
 * tells it, when it tells it: the program prints {@code ready} once it has started, then for each line it reads on
 * stdin does that work and prints a line starting with {@code done}. Its names are unique per run: {@code UNIQUE} in
 * the source is replaced by a random number ({@link #unique}).
 */
final class ControlledJvm implements AutoCloseable {
    final Process process;
    final String unique;
    private final BufferedReader out;
    private final PrintWriter in;

    /**
     * Writes {@code source} (a class named {@code mainClass}, {@code UNIQUE} standing for {@link #unique}) in
     * {@code dir} and runs it with the JVM options {@code flags}; returns once it printed {@code ready}.
     */
    ControlledJvm(Path dir, String mainClass, String source, String... flags) throws Exception {
        unique = Integer.toString(ThreadLocalRandom.current().nextInt(100_000, 1_000_000));
        Path src = dir.resolve(mainClass + ".java");
        Files.writeString(src, source.replace("UNIQUE", unique));
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(List.of(flags));
        cmd.add("-XX:-UsePerfData");
        cmd.add(src.toString());
        process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        assertThat(line()).isEqualTo("ready");
    }

    int pid() {
        return (int) process.pid();
    }

    /** Sends {@code command} and returns the child's {@code done…} line once it has done it. */
    String run(String command) throws Exception {
        in.println(command);
        String done = line();
        assertThat(done).startsWith("done");
        return done;
    }

    private String line() throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).get(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
