package io.bpf4j.tools.output;

import io.bpf4j.tools.fs.Opensnoop;
import picocli.CommandLine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs one tool in a JVM of its own, for tests that signal it: {@code ToolMain TOOL_CLASS ARGS…}. */
public final class ToolMain {
    private ToolMain() {
    }

    public static void main(String[] args) throws Exception {
        Object tool = Class.forName(args[0]).getDeclaredConstructor().newInstance();
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        System.exit(new CommandLine(tool).execute(rest));
    }

    /** What {@link #opensnoopStoppedBySigint} did: the file cat opened, and what opensnoop printed after it. */
    record Stopped(Path opened, String rest) {
    }

    /**
     * Runs {@code opensnoop -n cat --output OUTPUT} in a child JVM, cats a new file of {@code dir}, waits until
     * opensnoop has printed that open (so the event was read before the signal), then sends SIGINT, as Ctrl-C does,
     * and waits for the JVM to exit.
     */
    static Stopped opensnoopStoppedBySigint(Path dir, String output) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        // SIGINT at its default: a JVM started with it ignored (a test run launched in the background) would
        // ignore the Ctrl-C
        Process tool = new ProcessBuilder("env", "--default-signal=INT", java, "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), ToolMain.class.getName(), Opensnoop.class.getName(),
                "-n", "cat", "--output", output).redirectErrorStream(true).start();
        try {
            var out = new BufferedReader(new InputStreamReader(tool.getInputStream()));
            assertThat(out.readLine()).as("opensnoop's header, printed once attached").startsWith("PID");
            Path f = Files.writeString(dir.resolve("sigint-" + System.nanoTime()), "x");
            assertThat(new ProcessBuilder("cat", f.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start().waitFor()).isZero();
            for (String line = out.readLine(); line != null && !line.endsWith(f.toString()); line = out.readLine()) {
                assertThat(line).doesNotContain("Exception");
            }
            assertThat(new ProcessBuilder("kill", "-INT", String.valueOf(tool.pid())).start().waitFor()).isZero();
            // a bound for a hang only: how fast a tool exits is measured by bpf4j-bench/run-tool-startup-bench
            assertThat(tool.waitFor(60, TimeUnit.SECONDS)).as("exited within 60 s of SIGINT").isTrue();
            return new Stopped(f, new String(tool.getInputStream().readAllBytes()));
        } finally {
            tool.destroyForcibly().waitFor();
        }
    }
}
