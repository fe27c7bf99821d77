package io.bpf4j.tools.trace;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * argdist histograms and counts a uprobe argument, a string argument and a filtered return value. The probes fire
 * in the target's calls, which are over when it exits: then the tool is stopped and prints what it gathered, as at
 * Ctrl-C (its 60 s interval never comes).
 */
@KernelTest
class ArgdistTest {
    @Test
    void histogramAndCountsOfAKnownArgument() throws Exception {
        try (Target t = Target.start()) {
            String probe = "u:" + t.binary + ":" + Target.FUNCTION;
            ToolRun.Running running = ToolRun.start(Argdist.class, "-p", String.valueOf(t.pid()),
                    "-H", probe + ":arg1",
                    "-C", probe + "(long size, const char *tag):long:tag",
                    "-C", "r:" + t.binary + ":" + Target.FUNCTION + ":retval:retval > 1000",
                    "60");
            t.go();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> out = r.out().lines().toList();
            assertThat(out.get(0)).isEqualTo("Tracing 3 specifier(s)... Hit Ctrl-C to end.");
            assertThat(out.get(1)).matches("\\[\\d\\d:\\d\\d:\\d\\d]");
            assertThat(r.linesWith(" -> ")).as("histogram rows").filteredOn(l -> !l.contains(": 0 "))
                    .satisfiesExactly(
                            l -> assertThat(l).matches("\\s+64 -> 127\\s+: 10\\s+\\|\\*{40}\\|"),
                            l -> assertThat(l).matches("\\s+4096 -> 8191\\s+: 5\\s+\\|\\*{20}\\s{20}\\|"));
            assertThat(out).containsSubsequence(probe + "(long size, const char *tag):long:tag",
                    "\tCOUNT      EVENT", "\t5          tag = large", "\t10         tag = small");
            assertThat(out).containsSubsequence("r:" + t.binary + ":" + Target.FUNCTION + ":retval:retval > 1000",
                    "\tCOUNT      EVENT", "\t5          retval = 10000");
            assertThat(r.linesWith("retval = 200")).as("filtered out").isEmpty();
        }
    }

    @Test
    void specifierGrammar() {
        Argdist.Spec s = new Argdist.Spec("u:c:malloc(size_t size):size_t:size:size > 16#sizes", true);
        assertThat(s.probe.name).isEqualTo("malloc");
        assertThat(s.exprText).isEqualTo("size");
        assertThat(s.filter).isNotNull();
        assertThat(s.label).isEqualTo("sizes");
        Argdist.Spec t = new Argdist.Spec("t:syscalls:sys_enter_read:fd", false);
        assertThat(t.probe.fields).containsKey("fd");
        assertThat(t.exprText).isEqualTo("fd");
        assertThat(t.filter).isNull();
    }
}
