package io.bpf4j.tools.syscall;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * syscount counts the syscalls this JVM makes on purpose: getppid() (which the JVM itself never calls) N times
 * and fchdir(-1), which fails with EBADF, M times — by syscall, by process, failures only, with latency. A syscall
 * is counted before it returns, so the tool is stopped (and prints its counts, as at Ctrl-C) once they are made.
 */
class SyscountTest {
    private static final int PID = (int) ProcessHandle.current().pid();
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GETPPID = LINKER.downcallHandle(
            LINKER.defaultLookup().find("getppid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle FCHDIR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("fchdir").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final int GETPPIDS = 500;
    private static final int FCHDIRS = 77;

    private static void workload() throws Throwable {
        for (int i = 0; i < GETPPIDS; i++) {
            int ppid = (int) GETPPID.invokeExact();
            assertThat(ppid).isPositive();
        }
        for (int i = 0; i < FCHDIRS; i++) {
            int ret = (int) FCHDIR.invokeExact(-1);
            assertThat(ret).isEqualTo(-1);
        }
    }

    /** The columns of the row whose first column is {@code first}. */
    private static String[] row(ToolRun r, String first) {
        return r.out().lines().map(l -> l.trim().split("\\s+")).filter(c -> c[0].equals(first)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + first + " in:\n" + r.out()));
    }

    @KernelTest
    @Test
    void countsEachSyscallOfTheProcess() throws Throwable {
        ToolRun.Running running = ToolRun.start(Syscount.class, "-p", String.valueOf(PID), "-T", "50");
        workload();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Tracing syscalls, printing top 50... Ctrl+C to quit.\n[")
                .contains("\nSYSCALL                   COUNT\n");
        assertThat(Long.parseLong(row(r, "getppid")[1])).isGreaterThanOrEqualTo(GETPPIDS);
        assertThat(row(r, "fchdir")).containsExactly("fchdir", String.valueOf(FCHDIRS));
    }

    @KernelTest
    @Test
    void failuresWithAnErrnoAndLatency() throws Throwable {
        ToolRun.Running running = ToolRun.start(Syscount.class,
                "-p", String.valueOf(PID), "-x", "-e", "EBADF", "-L");
        workload();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\nSYSCALL                   COUNT        TIME (us)\n");
        assertThat(r.linesWith("getppid")).as("getppid does not fail").isEmpty();
        String[] fchdir = row(r, "fchdir");
        assertThat(fchdir[1]).isEqualTo(String.valueOf(FCHDIRS));
        assertThat(Double.parseDouble(fchdir[2])).as("total µs").isPositive().isLessThan(1_000_000);
    }

    @KernelTest
    @Test
    void perProcessAndJson() throws Throwable {
        ToolRun.Running running = ToolRun.start(Syscount.class, "-p", String.valueOf(PID), "-P");
        workload();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("\nPID    COMM               COUNT\n");
        String[] me = row(r, String.valueOf(PID));
        assertThat(Long.parseLong(me[me.length - 1])).isGreaterThanOrEqualTo(GETPPIDS + FCHDIRS);

        running = ToolRun.start(Syscount.class, "-p", String.valueOf(PID), "-e", "9", "--json");
        workload();
        r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).contains("{\"syscall\":\"fchdir\",\"nr\":81,\"count\":" + FCHDIRS + "}");
    }

    @Test
    void listsTheSyscallTable() {
        // -l loads nothing and ends at once: run it directly (ToolRun waits for a tool that keeps running)
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cl = new picocli.CommandLine(new Syscount());
        cl.setOut(new java.io.PrintWriter(out, true));
        assertThat(cl.execute("-l")).isZero();
        assertThat(out.toString().lines()).contains("  0: read", "110: getppid", " 81: fchdir", "435: clone3")
                .hasSizeGreaterThan(360);
    }
}
