package io.bpf4j.tools.cpu;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.Workload;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * offcputime sees a child sleeping in a uniquely named function, for about as long as it slept. The child naps
 * from before the tool starts until after it ends: the tool's own duration holds its sleeps.
 */
@KernelTest
class OffcputimeTest {
    // 20 ms sleeps called from FN through nap (which keeps a frame pointer, so FN is found under libc's usleep)
    private static final String NAP = """
            #include <unistd.h>
            void nap(void) { usleep(20000); }
            void FN(void) { for (;;) nap(); }
            int main(void) { FN(); return 0; }
            """;

    @Test
    void foldedStackOfTheSleeperWithItsOffCpuTime() throws Exception {
        try (Workload w = Workload.start("nap", NAP)) {
            long before = System.nanoTime();
            ToolRun r = ToolRun.start(Offcputime.class, "-f", "-p", String.valueOf(w.pid()), "3").finish();
            long windowUs = (System.nanoTime() - before) / 1000;
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.linesWith(";main;" + w.function + ";");
            assertThat(lines).as(r.out()).isNotEmpty().allSatisfy(l -> assertThat(l)
                    .startsWith(w.comm + ";").containsPattern(";\\w*schedule_\\[k\\]"));
            long us = lines.stream().mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
            // asleep nearly all of the 3 s: at least half of it, at most all the time the tool was attached (its
            // 3 s and a little more, less than the whole run measured here, whatever its start-up took)
            assertThat(us).as(r.out()).isBetween(1_500_000L, windowUs);
        }
    }

    @Test
    void textOutputAndMinBlockTime() throws Exception {
        try (Workload w = Workload.start("nap", NAP)) {
            ToolRun r = ToolRun.start(Offcputime.class, "-p", String.valueOf(w.pid()), "2").finish();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("Tracing off-CPU time (us) of PID " + w.pid()
                    + " by user + kernel stack for 2 secs.");
            // the naps' block is the largest with the function; on a busy machine a preemption while it runs adds
            // small blocks with it too
            String block = List.of(r.out().split("\n\n")).stream().filter(b -> b.contains("    " + w.function + "\n"))
                    .max(java.util.Comparator.comparingLong(b -> lastNumber(b)))
                    .orElseThrow(() -> new AssertionError(r.out()));
            List<String> l = block.lines().toList();
            assertThat(l).contains("    schedule", "    main");
            assertThat(l.indexOf("    schedule")).isLessThan(l.indexOf("    " + w.function)); // kernel first
            assertThat(l.get(l.size() - 2)).isEqualTo(String.format("    %-16s %s (%d)", "-", w.comm, w.pid()));
            assertThat(Long.parseLong(l.get(l.size() - 1).trim())).isGreaterThan(1_000_000L);

            // -m 500000: only blocks of 0.5 s and more; the 20 ms naps are left out (a nap is longer by the time the
            // child waits for a CPU once woken, a little on a busy machine, never 25 times its length)
            ToolRun m = ToolRun.start(Offcputime.class, "-m", "500000", "-p", String.valueOf(w.pid()), "1").finish();
            assertThat(m.exit()).as(m.err()).isZero();
            assertThat(m.out()).doesNotContain(w.function);
        }
    }

    /** A stack block's count: its last line, or -1 when that is not a number. */
    private static long lastNumber(String block) {
        List<String> l = block.strip().lines().toList();
        try {
            return Long.parseLong(l.getLast().trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
