package io.bpf4j.core.jvm;

import io.bpf4j.core.symbols.PerfMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Attaching to a child JVM (this JVM's java, no flag) that waits on its stdin: jcmd's commands run in it, and
 * {@code Compiler.perfmap} writes its perf map where {@link PerfMap#path} looks for it.
 */
class JvmAttachTest {
    private static final String PROGRAM = """
            public class Waits {
                public static void main(String[] args) throws Exception {
                    System.out.println("ready");
                    System.in.read();
                }
            }
            """;

    @Test
    void runsDiagnosticCommandsInAnotherJvm(@TempDir Path dir) throws Exception {
        Path src = Files.writeString(dir.resolve("Waits.java"), PROGRAM);
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process child = new ProcessBuilder(java, src.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        Path map = null;
        Path written = null;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("ready");
            map = PerfMap.path(child.pid());
            Files.deleteIfExists(map);
            // the same file for the cleanup once the child is gone (with it its /proc/PID/root): it shares our /tmp
            written = Path.of("/tmp").resolve(map.getFileName());
            try (JvmAttach vm = JvmAttach.attach(child.pid())) {
                assertThat(vm.pid()).isEqualTo(child.pid());
                assertThat(vm.jcmd("VM.version")).contains(Runtime.version().feature() + ".");
                vm.jcmd("Compiler.perfmap");
                assertThat(PerfMap.read(map).orElseThrow().entries()).as("the child's code cache")
                        .anyMatch(e -> e.name().equals("Interpreter"));
                assertThatThrownBy(() -> vm.jcmd("No.such.command")).isInstanceOf(JvmAttachException.class)
                        .hasMessageStartingWith("jcmd " + child.pid() + " No.such.command failed: ")
                        .hasMessageNotContaining("\n");
            }
        } finally {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
            if (written != null) Files.deleteIfExists(written);
        }
    }

    @Test
    void thisJvmIsNotAttachedTo() {
        long self = ProcessHandle.current().pid();
        assertThat(JvmAttach.unavailable()).as("the test JVM runs with " + JvmAttach.ADD_EXPORTS).isEmpty();
        assertThatThrownBy(() -> JvmAttach.attach(self)).isInstanceOf(JvmAttachException.class)
                .hasMessage("process " + self + " is this JVM, which the Attach API does not attach to");
    }
}
