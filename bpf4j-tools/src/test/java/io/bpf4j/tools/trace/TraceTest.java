package io.bpf4j.tools.trace;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * trace formats a uprobe's arguments (numbers and a string), a uretprobe's return value, with a filter, and a
 * tracepoint's fields (a __data_loc string) for the exec of a uniquely named command. Each event is recorded in the
 * call or the exec, over when the traced process has exited: then the tool is stopped.
 */
class TraceTest {
    @KernelTest
    @Test
    void uprobeArgumentsWithAFilterAndUretprobeValues() throws Exception {
        try (Target t = Target.start()) {
            String pid = String.valueOf(t.pid());
            ToolRun.Running running = ToolRun.start(Trace.class, "-p", pid,
                    "u:" + t.binary + ":" + Target.FUNCTION + " (arg1 > 1000) \"size=%d tag=%s\", arg1, arg2",
                    "r:" + t.binary + ":" + Target.FUNCTION + " \"ret=%ld\", retval");
            t.go();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out().lines().findFirst()).hasValueSatisfying(h ->
                    assertThat(h.split("\\s+")).containsExactly("PID", "TID", "COMM", "FUNC", "-"));
            List<String> entries = r.linesWith("size=");
            assertThat(entries).as(r.out()).hasSize(5).allSatisfy(l -> assertThat(l.trim().split("\\s+"))
                    .containsExactly(pid, pid, "bpf4jtarget", Target.FUNCTION, "size=5000", "tag=large"));
            assertThat(r.linesWith("ret=200")).hasSize(10);
            assertThat(r.linesWith("ret=10000")).hasSize(5);
        }
    }

    @KernelTest
    @Test
    void usdtArgumentsInARegisterAndInMemory() throws Exception {
        try (Target t = Target.start()) {
            String pid = String.valueOf(t.pid());
            ToolRun.Running running = ToolRun.start(Trace.class, "-p", pid,
                    "U:" + t.binary + ":bpf4j:call \"size=%d triple=%d\", arg1, arg2");
            t.go();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.linesWith("size=100 triple=300")).as(r.out()).hasSize(10).allSatisfy(l ->
                    assertThat(l.trim().split("\\s+")).startsWith(pid, pid, "bpf4jtarget", "call"));
            assertThat(r.linesWith("size=5000 triple=15000")).hasSize(5);
        }
    }

    @KernelTest
    @Test
    void tracepointFieldsOfAUniquelyNamedExec() throws Exception {
        String name = "bpf4j-exec-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path dir = Files.createTempDirectory("bpf4j-trace");
        Path cmd = dir.resolve(name);
        Files.copy(Path.of("/bin/true"), cmd, StandardCopyOption.COPY_ATTRIBUTES);
        try {
            ToolRun.Running running = ToolRun.start(Trace.class,
                    "t:sched:sched_process_exec (filename == \"" + cmd + "\") \"exec %s as %d\", filename, pid");
            Process p = new ProcessBuilder(cmd.toString()).start();
            assertThat(p.waitFor()).isZero();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            String pid = String.valueOf(p.pid());
            assertThat(r.linesWith(name)).as(r.out()).singleElement().satisfies(l ->
                    assertThat(l.trim().split("\\s+")).containsExactly(pid, pid, name.substring(0, 15),
                            "sched_process_exec", "exec", cmd.toString(), "as", pid));
        } finally {
            Files.delete(cmd);
            Files.delete(dir);
        }
    }

    @Test
    void grammar() {
        Trace.Spec s = Trace.parse("u:c:malloc(size_t size) (size > 16 && $comm != \"x\") \"%zu bytes\", size");
        assertThat(s.probe().params).containsExactly("size");
        assertThat(s.names()).containsExactlyInAnyOrder("size", "$comm");
        assertThat(s.stringNames()).containsExactly("$comm");
        assertThat(new Printf("%-5d|%05x|%s|%c|%lu|%%").format(List.of(-3L, 255L, "ab", 65L, -1L)))
                .isEqualTo("-3   |000ff|ab|A|18446744073709551615|%");
        assertThat(new Printf("%d").format(List.of(0x1_0000_0005L))).as("%d is an int").isEqualTo("5");
        assertThat(Expr.truth(Expr.parse("(1 + 2 * 3 == 7) && !(4 < 3) || 0").eval(n -> 0L))).isTrue();
    }
}
