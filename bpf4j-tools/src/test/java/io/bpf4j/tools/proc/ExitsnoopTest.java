package io.bpf4j.tools.proc;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * exitsnoop sees children of this JVM exit with a code and die of SIGKILL. A child's exit is recorded before its
 * parent can reap it, so the tool is stopped once the test has waited for its children.
 */
@KernelTest
class ExitsnoopTest {
    private static final int PID = (int) ProcessHandle.current().pid();

    @Test
    void showsExitCodesAndSignals() throws Exception {
        ToolRun.Running running = ToolRun.start(Exitsnoop.class, "-t");
        Process seven = new ProcessBuilder("sh", "-c", "exit 7").start();
        assertThat(seven.waitFor()).isEqualTo(7);
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        Thread.sleep(300); // not a wait for anything: the sleeper's age at its death, at least 0.3 s
        sleeper.destroyForcibly();
        assertThat(sleeper.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Process ok = new ProcessBuilder("true").start();
        assertThat(ok.waitFor()).isZero();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines().findFirst()).hasValueSatisfying(h -> assertThat(h.split("\\s+"))
                .containsExactly("TIME(s)", "PCOMM", "PID", "PPID", "TID", "AGE(s)", "EXIT_CODE"));
        // TIME PCOMM PID PPID TID AGE(s) EXIT_CODE…
        assertThat(line(r, seven.pid())).satisfies(c -> {
            assertThat(c[1]).isEqualTo("sh");
            assertThat(c[3]).isEqualTo(String.valueOf(PID));
            assertThat(c[4]).isEqualTo(c[2]);
            assertThat(String.join(" ", Arrays.copyOfRange(c, 6, c.length))).isEqualTo("code 7");
        });
        assertThat(line(r, sleeper.pid())).satisfies(c -> {
            assertThat(c[1]).isEqualTo("sleep");
            assertThat(Double.parseDouble(c[5])).as("age").isBetween(0.2, 20.0);
            assertThat(String.join(" ", Arrays.copyOfRange(c, 6, c.length)))
                    .isEqualTo("signal 9 (Killed)");
        });
        assertThat(line(r, ok.pid())[6]).isEqualTo("0");
    }

    @Test
    void failedOnlyAsJson() throws Exception {
        ToolRun.Running running = ToolRun.start(Exitsnoop.class, "-x", "--json");
        Process nine = new ProcessBuilder("sh", "-c", "exit 9").start();
        assertThat(nine.waitFor()).isEqualTo(9);
        Process ok = new ProcessBuilder("true").start();
        assertThat(ok.waitFor()).isZero();
        Process seven = new ProcessBuilder("sh", "-c", "exit 7").start();
        assertThat(seven.waitFor()).isEqualTo(7);
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.linesWith("\"pid\":" + nine.pid() + ",")).singleElement()
                .satisfies(l -> assertThat(l).contains("\"exit_code\":2304"));
        assertThat(r.linesWith("\"pid\":" + ok.pid() + ",")).as("-x hides exit code 0").isEmpty();
        assertThat(r.linesWith("\"pid\":" + seven.pid() + ",")).singleElement().satisfies(l -> assertThat(l)
                .startsWith("{\"event\":\"exit\"").contains("\"ppid\":" + PID).contains("\"exit_code\":1792")
                .contains("\"comm\":\"sh\""));
    }

    private static String[] line(ToolRun r, long pid) {
        return r.out().lines().map(l -> l.trim().split("\\s+")).filter(c -> c.length > 6 && c[2].equals(
                String.valueOf(pid))).findFirst().orElseThrow(() -> new AssertionError("no exit of " + pid + " in\n"
                + r.out()));
    }
}
