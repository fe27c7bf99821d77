package io.bpf4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bpf4j script} and {@code bpf4j jshell}: a Java source file, and a JShell script, run with bpf4j-bcc on the
 * class path (they name its classes; no kernel is needed for that), arguments and exit code passed through.
 */
class ScriptCommandTest {
    @TempDir
    Path dir;

    private static Process bpf4j(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "io.bpf4j.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().put("BPF4J_CACHE_DIR", dir.resolve("cache").toString());
        return pb.start();
    }

    @Test
    void runsASourceFileWithBccOnTheClassPath() throws Exception {
        Files.writeString(dir.resolve("Hello.java"), """
                public class Hello {
                    public static void main(String[] args) {
                        System.out.println("script sees " + io.bpf4j.bcc.Bcc.class.getName() + " " + String.join(",", args));
                        System.exit(3);
                    }
                }
                """);
        for (int run = 1; run <= 2; run++) { // compiled, then from the cache
            Process p = bpf4j(dir, "script", "Hello.java", "a", "b c");
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(out).isEqualTo(3);
            assertThat(out).contains("script sees io.bpf4j.bcc.Bcc a,b c");
            try (var scripts = Files.list(dir.resolve("cache").resolve("scripts"))) {
                assertThat(scripts.toList()).as("compiled once").hasSize(1);
            }
        }
    }

    @Test
    void aCompileErrorIsJavacsAndExitsOne() throws Exception {
        Files.writeString(dir.resolve("Broken.java"), """
                public class Broken {
                    public static void main(String[] args) {
                        int x = "text";
                    }
                }
                """);
        Process p = bpf4j(dir, "script", "Broken.java");
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isEqualTo(1);
        assertThat(out).contains("Broken.java:3: error: incompatible types");
    }

    @Test
    void aFailureInMainIsOneLine() throws Exception {
        Files.writeString(dir.resolve("Fails.java"), """
                void main() {
                    throw new IllegalStateException("the program could not attach");
                }
                """);
        Process p = bpf4j(dir, "script", "Fails.java");
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isEqualTo(1);
        assertThat(out.strip()).startsWith("bpf4j: ").contains("the program could not attach")
                .doesNotContain("\tat ");
    }

    @Test
    void aMissingFileIsAUsageError() throws Exception {
        Process p = bpf4j(dir, "script", "Missing.java");
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).isEqualTo(2);
        assertThat(out).contains("no file Missing.java");
    }

    @Test
    void jshellHasTheBccApiImported() throws Exception {
        Files.writeString(dir.resolve("probe.jsh"), """
                System.out.println("jshell sees " + Bcc.class.getName());
                /exit
                """);
        Process p = bpf4j(dir, "jshell", "probe.jsh");
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).contains("jshell sees io.bpf4j.bcc.Bcc");
    }
}
