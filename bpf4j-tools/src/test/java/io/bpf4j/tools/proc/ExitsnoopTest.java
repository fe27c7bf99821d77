package io.bpf4j.tools.proc;

import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** exitsnoop sees children of this JVM exit with a code and die of SIGKILL. */
class ExitsnoopTest {
    private static final int PID = (int) ProcessHandle.current().pid();

    @Test
    void showsExitCodesAndSignals() throws Exception {
        ToolRun.Running running = ToolRun.start(Exitsnoop.class, "-d", "3", "-t");
        Process seven = new ProcessBuilder("sh", "-c", "exit 7").start();
        assertThat(seven.waitFor()).isEqualTo(7);
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        Thread.sleep(300);
        sleeper.destroyForcibly();
        assertThat(sleeper.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Process ok = new ProcessBuilder("true").start();
        assertThat(ok.waitFor()).isZero();
        ToolRun r = running.finish();
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
        ToolRun.Running running = ToolRun.start(Exitsnoop.class, out -> true, "-d", "8", "-x", "--json");
        // --json prints no header: it is attached once it shows a child's failure
        for (int i = 0; i < 50 && !running.outSoFar().contains("\"exit_code\":2304"); i++) {
            assertThat(new ProcessBuilder("sh", "-c", "exit 9").start().waitFor()).isEqualTo(9);
            Thread.sleep(100);
        }
        Process ok = new ProcessBuilder("true").start();
        assertThat(ok.waitFor()).isZero();
        Process seven = new ProcessBuilder("sh", "-c", "exit 7").start();
        assertThat(seven.waitFor()).isEqualTo(7);
        ToolRun r = running.finish();
        assertThat(r.exit()).as(r.err()).isZero();
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
