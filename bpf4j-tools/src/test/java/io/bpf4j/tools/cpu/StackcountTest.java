package io.bpf4j.tools.cpu;

import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.link.Kprobe;
import io.bpf4j.testing.KernelMatrix;
import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import io.bpf4j.tools.Workload;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * stackcount counts the kernel stacks of this JVM's forks at sched:sched_process_fork, and the user stacks of a
 * child's mallocs. Each is counted before its call returns, so the tool is stopped (and prints its stacks, as at
 * Ctrl-C) once the calls are made.
 */
@KernelTest
class StackcountTest {
    private static final int PID = (int) ProcessHandle.current().pid();
    private static final int FORKS = 8;

    @Test
    void countsEachForkUnderKernelClone() throws Exception {
        ToolRun.Running running = ToolRun.start(Stackcount.class,
                "-K", "-p", String.valueOf(PID), "t:sched:sched_process_fork");
        for (int i = 0; i < FORKS; i++) new ProcessBuilder("true").start().waitFor();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Tracing 1 functions for \"t:sched:sched_process_fork\"... Hit Ctrl-C to end.");
        // bcc's layout: "  frame" lines, then "    count"; the first frame is the function that fired the event
        long forks = List.of(r.out().split("\n\n")).stream()
                .map(b -> b.lines().dropWhile(l -> l.startsWith("Tracing")).toList())
                .filter(l -> !l.isEmpty() && l.getFirst().equals("  kernel_clone"))
                .mapToLong(l -> Long.parseLong(l.getLast().trim())).sum();
        assertThat(forks).as(r.out()).isGreaterThanOrEqualTo(FORKS);
    }

    @Test
    void showBtFoldedPerProcess() throws Exception {
        ToolRun.Running running = ToolRun.start(Stackcount.class,
                "-P", "-f", "-p", String.valueOf(PID), "t:sched:sched_process_fork");
        for (int i = 0; i < FORKS; i++) new ProcessBuilder("true").start().waitFor();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        // comm;user frames;kernel frames, the innermost (the function that fired the event) last
        List<String> lines = r.linesWith(";kernel_clone_[k] ");
        assertThat(lines).as(r.out()).isNotEmpty()
                .allSatisfy(l -> assertThat(l).matches("[^;]+;.*_\\[k\\];kernel_clone_\\[k\\] \\d+"));
        long forks = lines.stream().mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
        assertThat(forks).as(r.out()).isGreaterThanOrEqualTo(FORKS);
        assertThat(new CommandLine(new Stackcount()).getCommandSpec().aliases()).containsExactly("show_bt");
    }

    @Test
    void countsTheUserStacksOfAUserFunction() throws Exception {
        // malloc called from FN through alloc_once: at malloc's entry the frame-pointer walk finds FN, not alloc_once
        try (Workload w = Workload.start("alloc", """
                #include <stdio.h>
                #include <stdlib.h>
                void alloc_once(void) { free(malloc(100)); }
                void FN(void) { for (int i = 0; i < 100; i++) alloc_once(); }
                int main(void) { getchar(); FN(); printf("done\\n"); fflush(stdout); getchar(); return 0; }
                """)) {
            ToolRun.Running running = ToolRun.start(Stackcount.class, "-p", String.valueOf(w.pid()), "c:malloc");
            w.go();
            assertThat(w.awaitLine()).isEqualTo("done");
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            String block = List.of(r.out().split("\n\n")).stream()
                    .filter(b -> b.contains("  malloc\n  " + w.function + "\n  main\n")).findFirst()
                    .orElseThrow(() -> new AssertionError(r.out()));
            // the 100 calls, all made once the tool was attached
            assertThat(Long.parseLong(block.lines().toList().getLast().trim())).isEqualTo(100L);
        }
    }

    @Test
    @KernelMatrix
    void countsTheStacksOfAKernelFunctionWithAKprobe() throws Exception {
        ToolRun.assumeRoot();
        Probe kprobes = Kprobe.availability();
        assumeTrue(kprobes.available(), "kernel has no kprobes (CONFIG_KPROBES): " + kprobes);
        ToolRun.Running running = ToolRun.start(Stackcount.class, "-K", "-p", String.valueOf(PID), "kernel_clone");
        for (int i = 0; i < FORKS; i++) new ProcessBuilder("true").start().waitFor();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Tracing 1 functions for \"kernel_clone\"... Hit Ctrl-C to end.");
        // at a kprobe the first frame is the probed function itself
        long forks = List.of(r.out().split("\n\n")).stream()
                .map(b -> b.lines().dropWhile(l -> l.startsWith("Tracing")).toList())
                .filter(l -> !l.isEmpty() && l.getFirst().equals("  kernel_clone"))
                .mapToLong(l -> Long.parseLong(l.getLast().trim())).sum();
        assertThat(forks).as(r.out()).isGreaterThanOrEqualTo(FORKS);
    }

    @Test
    @KernelMatrix
    void saysWhyAKernelFunctionCannotBeTracedWithoutKprobes() {
        ToolRun.assumeRoot();
        assumeFalse(Kprobe.availability().available(), "this kernel has kprobes: nothing to explain");
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(new Stackcount());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        assertThat(cl.execute("-D", "1", "kernel_clone")).isEqualTo(1);
        assertThat(err.toString()).contains("cannot trace kernel function 'kernel_clone': kprobes are not available "
                + "on this kernel (CONFIG_KPROBES");
    }
}
