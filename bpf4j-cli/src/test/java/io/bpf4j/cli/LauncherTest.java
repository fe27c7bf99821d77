package io.bpf4j.cli;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code ./bpf4j} launcher as a user meets it first, run as an unprivileged user (nobody) from a copy of the
 * launcher and {@code scripts/lib.sh}, so that it has never built anything: what it lacks is said in one line on
 * stderr, with the command that fixes it, and nothing else runs. A machine without clang is made by a
 * {@code dpkg-query} first on PATH that knows no package (what dpkg-query prints for packages never installed).
 */
@KernelTest
class LauncherTest {
    private static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir
    Path dir;
    private Path checkout;
    private Path bin;

    @BeforeEach
    void copyLauncher() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "running the launcher as user nobody needs root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        checkout = Files.createDirectories(dir.resolve("bpf4j"));
        Files.createDirectories(checkout.resolve("scripts"));
        Files.copy(REPO.resolve("bpf4j"), checkout.resolve("bpf4j"));
        Files.copy(REPO.resolve("scripts/lib.sh"), checkout.resolve("scripts/lib.sh"));
        Files.setPosixFilePermissions(checkout, PosixFilePermissions.fromString("rwxrwxrwx"));
        bin = Files.createDirectories(dir.resolve("bin"));
        Path dpkgQuery = bin.resolve("dpkg-query");
        Files.writeString(dpkgQuery, """
                #!/bin/sh
                for p in "$@"; do case $p in -*) ;; *) echo "dpkg-query: no packages found matching $p" >&2 ;; esac; done
                exit 1
                """);
        Files.setPosixFilePermissions(dpkgQuery, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private record Run(int exit, String out, String err) {
    }

    /** Runs {@code ./bpf4j --help} as nobody, with {@code env} as its whole environment (plus PATH). */
    private Run launch(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                checkout.resolve("bpf4j").toString(), "--help");
        pb.environment().clear();
        pb.environment().put("PATH", bin + ":/usr/bin:/bin");
        pb.environment().put("HOME", dir.toString());
        pb.environment().putAll(env);
        Path out = dir.resolve("out"), err = dir.resolve("err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the launcher ended").isTrue();
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }

    @Test
    void missingBuildPackagesAreNamedWithTheCommandThatInstallsThem() throws Exception {
        Run r = launch(Map.of("JAVA_HOME", System.getProperty("java.home")));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines().toList()).containsExactly("bpf4j: clang-19 libbpf-dev not installed (needed to"
                + " build the tools' BPF programs); as root run: apt-get install clang-19 libbpf-dev");
        assertThat(checkout.resolve(".bpf4j-build/build.log")).as("Maven never ran").doesNotExist();
    }

    @Test
    void noJdk25IsOneLineThatSaysWhereItLookedAndWhatToDo() throws Exception {
        Path noJdks = Files.createDirectories(dir.resolve("jvm"));
        Run r = launch(Map.of("BPF4J_JVM_DIR", noJdks.toString()));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        List<String> lines = r.err().lines().toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.getFirst()).startsWith("bpf4j: needs a JDK 25 or newer and found none (JAVA_HOME: not set; ")
                .contains(noJdks + ": no JDK)")
                .containsPattern("; (as root run: apt-get install openjdk-25-jdk-headless|install one \\(e\\.g\\. Eclipse"
                        + " Temurin 25\\) under " + noJdks + " or point JAVA_HOME at it)$");
    }
}
