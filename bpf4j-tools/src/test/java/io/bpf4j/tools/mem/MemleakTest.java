package io.bpf4j.tools.mem;

import io.bpf4j.output.pprof.PprofFile;
import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.Workload;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * memleak sees what a child allocates and does not free, by stack: each time it is told to, the child leaks
 * 7 × 12345 bytes from FN, 3 × 1000 bytes with calloc from FN_calloc, a block grown to 54321 bytes with realloc
 * from FN_realloc and 4321 bytes with posix_memalign from FN_memalign, and mallocs and frees 5 × 23456 bytes from
 * FN_freed. In kernel mode it sees the pipe buffer rings a child resizes with F_SETPIPE_SZ and keeps.
 *
 * <p>The report a test looks at is the one memleak prints when it is stopped (as at Ctrl-C) after the child said it
 * was done: an interval report could come in the middle of the child's work and show half of it, so the runs that
 * look at a report have an interval that does not come ({@value #NEVER} s). Intervals and their count are checked
 * on a run that needs no workload.
 */
@KernelTest
class MemleakTest {
    /** An interval no test waits for. */
    private static final String NEVER = "3600";

    private static final String LEAKER = """
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            __attribute__((noinline)) void *FN(void) { void *p = malloc(12345); memset(p, 1, 12345); return p; }
            __attribute__((noinline)) void *FN_calloc(void) { return calloc(3, 1000); }
            __attribute__((noinline)) void *FN_realloc(void) { return realloc(malloc(100), 54321); }
            __attribute__((noinline)) void *FN_memalign(void) {
                void *p = NULL;
                return posix_memalign(&p, 64, 4321) ? NULL : p;
            }
            __attribute__((noinline)) void *FN_freed(void) { return malloc(23456); }
            int main(void) {
                for (;;) {
                    if (getchar() == EOF) return 0;
                    for (int i = 0; i < 7; i++) FN();
                    FN_calloc();
                    FN_realloc();
                    FN_memalign();
                    void *f[5];
                    for (int i = 0; i < 5; i++) f[i] = FN_freed();
                    for (int i = 0; i < 5; i++) free(f[i]);
                    printf("done\\n");
                    fflush(stdout);
                }
            }
            """;

    /** Starts memleak with {@code args}, makes the child leak once it has attached, then stops the tool. */
    private static ToolRun leakWhileTracing(Workload c, String... args) throws Exception {
        ToolRun.Running running = ToolRun.start(Memleak.class, args);
        c.go();
        assertThat(c.awaitLine()).isEqualTo("done");
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        return r;
    }

    /** The number of reports in {@code out}. */
    private static long reports(String out) {
        return out.lines().filter(l -> l.endsWith("] Top 10 stacks with outstanding allocations:")).count();
    }

    /** The last report: from its last "[HH:MM:SS] Top" line on. */
    private static List<String> lastReport(ToolRun r) {
        List<String> lines = r.out().lines().toList();
        int start = -1;
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).matches("\\[\\d\\d:\\d\\d:\\d\\d] Top .*")) start = i;
        assertThat(start).as(r.out()).isNotNegative();
        return lines.subList(start, lines.size());
    }

    /** One stack of a report: its "N bytes in M allocations from stack" line and its frames. */
    private record Block(String summary, List<String> frames) {
    }

    private static List<Block> blocks(List<String> report) {
        List<Block> out = new ArrayList<>();
        for (int i = 0; i < report.size(); i++) {
            if (!report.get(i).matches("\t\\d+ bytes in \\d+ allocations from stack")) continue;
            List<String> frames = new ArrayList<>();
            for (int j = i + 1; j < report.size() && report.get(j).startsWith("\t\t"); j++) {
                frames.add(report.get(j).substring(2));
            }
            out.add(new Block(report.get(i), frames));
        }
        return out;
    }

    /** The frames printed under {@code summary}, which must be there once, in {@code report}. */
    private static List<String> framesUnder(List<String> report, String summary) {
        List<Block> b = blocks(report).stream().filter(x -> x.summary().equals(summary)).toList();
        assertThat(b).as("'%s' in:\n%s", summary, String.join("\n", report)).hasSize(1);
        return b.getFirst().frames();
    }

    @Test
    void outstandingUserAllocationsByStack() throws Exception {
        try (Workload c = Workload.start("leak", LEAKER)) {
            ToolRun r = leakWhileTracing(c, "-p", String.valueOf(c.pid()), "-a", NEVER);
            assertThat(r.out()).startsWith("Attaching to pid " + c.pid() + ", Ctrl+C to quit.\n");
            assertThat(reports(r.out())).as("the report at the stop").isEqualTo(1);
            List<String> report = lastReport(r);
            String leak = "\t86415 bytes in 7 allocations from stack";
            List<String> frames = framesUnder(report, leak);
            assertThat(frames.getFirst()).as(r.out()).startsWith(c.function + "+0x").contains("[/tmp/");
            assertThat(frames).anySatisfy(f -> assertThat(f).startsWith("main+0x"));
            // -a: the seven blocks, each with its address, just before their stack
            int at = report.indexOf(leak);
            assertThat(report.subList(at - 7, at)).allSatisfy(l -> assertThat(l)
                    .matches("\taddr = [0-9a-f]+ size = 12345"));
            assertThat(report.subList(at - 7, at)).doesNotHaveDuplicates();
            assertThat(framesUnder(report, "\t3000 bytes in 1 allocations from stack").getFirst())
                    .startsWith(c.function + "_calloc+0x");
            assertThat(framesUnder(report, "\t54321 bytes in 1 allocations from stack").getFirst())
                    .startsWith(c.function + "_realloc+0x");
            assertThat(framesUnder(report, "\t4321 bytes in 1 allocations from stack").getFirst())
                    .startsWith(c.function + "_memalign+0x");
            // as bcc, the largest last
            assertThat(report.indexOf("\t54321 bytes in 1 allocations from stack")).isLessThan(at);
            // freed: neither the blocks of FN_freed nor the 100 bytes realloc replaced
            assertThat(r.out()).doesNotContain(c.function + "_freed").doesNotContain("size = 23456")
                    .doesNotContain("size = 100\n");

            // interval and count: two reports, then it ends by itself (nothing has to happen in them)
            ToolRun counted = ToolRun.start(Memleak.class, "-p", String.valueOf(c.pid()), "1", "2").finish();
            assertThat(counted.exit()).as(counted.err()).isZero();
            assertThat(reports(counted.out())).as(counted.out()).isEqualTo(2);
        }
    }

    @Test
    void jsonWithSizeRangeAndAddresses() throws Exception {
        try (Workload c = Workload.start("leak", LEAKER)) {
            ToolRun r = leakWhileTracing(c, "-p", String.valueOf(c.pid()), "-z", "12345", "-Z", "12345", "--json",
                    "-a", NEVER);
            assertThat(r.err()).startsWith("Attaching to pid " + c.pid());
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> stacks = new ArrayList<>();
            for (String l : r.out().lines().toList()) stacks.add(json.readTree(l));
            // one report (at the stop), with the one stack of the one size tracked
            assertThat(stacks).as(r.out()).hasSize(1).allSatisfy(s -> {
                assertThat(s.get("time").asText()).matches("\\d\\d:\\d\\d:\\d\\d");
                assertThat(s.get("bytes").asLong()).isEqualTo(86415);
                assertThat(s.get("allocations").asInt()).isEqualTo(7);
                assertThat(s.get("stack").get(0).asText()).startsWith(c.function + "+0x");
                List<String> addresses = new ArrayList<>();
                s.get("allocs").forEach(a -> {
                    assertThat(a.get("size").asLong()).isEqualTo(12345);
                    addresses.add(a.get("addr").asText());
                });
                assertThat(addresses).hasSize(7).doesNotHaveDuplicates().allMatch(a -> a.matches("0x[0-9a-f]+"));
            });
        }
    }

    @Test
    void pprofOutputHoldsOutstandingBytesAndAllocationsByStack() throws Exception {
        Path file = Files.createTempFile("bpf4j-memleak", ".pb.gz");
        try (Workload c = Workload.start("leak", LEAKER)) {
            leakWhileTracing(c, "-p", String.valueOf(c.pid()), "--output", "pprof:" + file, NEVER);
            PprofFile p = PprofFile.read(file);
            assertThat(p.sampleTypes()).containsExactly("inuse_objects/count", "inuse_space/bytes");
            Map<String, List<Long>> byLeaf = new HashMap<>();
            for (PprofFile.Sample s : p.samples()) byLeaf.put(s.functions().getFirst(), s.values());
            assertThat(byLeaf).containsEntry(c.function, List.of(7L, 86415L))
                    .containsEntry(c.function + "_calloc", List.of(1L, 3000L))
                    .containsEntry(c.function + "_realloc", List.of(1L, 54321L))
                    .doesNotContainKey(c.function + "_freed");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void olderThan() throws Exception {
        try (Workload c = Workload.start("leak", LEAKER)) {
            // younger than 60 s in the two reports after the leak, and in the one at the stop
            ToolRun.Running running = ToolRun.start(Memleak.class, "-p", String.valueOf(c.pid()), "-o", "60000", "1");
            c.go();
            assertThat(c.awaitLine()).isEqualTo("done");
            long made = reports(running.outSoFar());
            // the second report after `made` was counted read the allocations after the leak
            running.awaitOut("two reports after the leak", o -> reports(o) >= made + 2);
            ToolRun young = running.stop();
            assertThat(young.exit()).as(young.err()).isZero();
            assertThat(young.out()).doesNotContain("bytes in");
            // older than 0.5 s in a report after the leak (every report, once they are that old), and at the stop
            running = ToolRun.start(Memleak.class, "-p", String.valueOf(c.pid()), "-o", "500", "1");
            c.go();
            assertThat(c.awaitLine()).isEqualTo("done");
            running.awaitOut("the leak, 0.5 s old", o -> o.contains("\t86415 bytes in 7 allocations from stack"));
            ToolRun old = running.stop();
            assertThat(old.exit()).as(old.err()).isZero();
            assertThat(framesUnder(lastReport(old), "\t86415 bytes in 7 allocations from stack").getFirst())
                    .startsWith(c.function + "+0x");
        }
    }

    private static final int RINGS = 23;
    private static final String PIPE_RESIZER = """
            #define _GNU_SOURCE
            #include <fcntl.h>
            #include <stdio.h>
            #include <unistd.h>
            int main(void) {
                int fds[%d][2];
                getchar();
                for (int i = 0; i < %d; i++) {
                    if (pipe(fds[i]) || fcntl(fds[i][1], F_SETPIPE_SZ, 128 * 1024) < 0) return 1;
                }
                printf("done\\n");
                fflush(stdout);
                getchar();
                return 0;
            }
            """.formatted(RINGS, RINGS);

    @Test
    void outstandingKernelAllocationsByStack() throws Exception {
        try (Workload c = Workload.start("resize", PIPE_RESIZER)) {
            ToolRun r = leakWhileTracing(c, "-T", "100000", NEVER);
            assertThat(r.out()).startsWith("Attaching to kernel allocators, Ctrl+C to quit.\n");
            List<String> report = lastReport(r);
            // each F_SETPIPE_SZ kmallocs a ring of 32 struct pipe_buffer in pipe_resize_ring, which the pipe keeps
            List<Block> rings = blocks(report).stream()
                    .filter(b -> b.frames().stream().anyMatch(f -> f.startsWith("pipe_resize_ring+0x"))).toList();
            assertThat(rings).as(String.join("\n", report)).singleElement().satisfies(b -> {
                assertThat(b.summary()).endsWith(" bytes in " + RINGS + " allocations from stack");
                long bytes = Long.parseLong(b.summary().strip().split(" ")[0]);
                assertThat(bytes % RINGS).isZero();
                assertThat(bytes / RINGS).isGreaterThanOrEqualTo(32 * 40);
                List<String> frames = b.frames();
                assertThat(frames).anySatisfy(f -> assertThat(f).startsWith("pipe_fcntl+0x").endsWith(" [kernel]"));
                assertThat(frames.getFirst()).as("the tracing's own frames are left out").doesNotContain("bpf");
            });
        }
    }
}
