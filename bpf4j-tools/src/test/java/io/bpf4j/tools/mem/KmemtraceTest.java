package io.bpf4j.tools.mem;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.Workload;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kmemtrace sees the slab allocations of a child that creates {@value #PIPES} pipes and closes them: each pipe()
 * kmallocs a pipe_inode_info and its buffer array in alloc_pipe_info (so exactly 2 × PIPES kmallocs from there),
 * takes two struct files from the filp cache in alloc_empty_file, and closing the pipes kfrees what
 * alloc_pipe_info allocated. Each event is recorded in the child's syscalls, which are over when it says "done": then
 * the tool is stopped (and prints what it prints at Ctrl-C).
 */
@KernelTest
class KmemtraceTest {
    private static final int PIPES = 37;
    private static final String PIPE_MAKER = """
            #include <stdio.h>
            #include <unistd.h>
            int main(void) {
                int fds[%d][2];
                getchar();
                for (int i = 0; i < %d; i++) if (pipe(fds[i])) return 1;
                for (int i = 0; i < %d; i++) { close(fds[i][0]); close(fds[i][1]); }
                printf("done\\n");
                fflush(stdout);
                getchar();
                return 0;
            }
            """.formatted(PIPES, PIPES, PIPES);

    /** Runs kmemtrace with {@code args} while a new pipe maker does its work (once the tool has attached). */
    private static ToolRun traceThePipeMaker(Workload c, String... args) throws Exception {
        ToolRun.Running running = ToolRun.start(Kmemtrace.class, args);
        c.go();
        assertThat(c.awaitLine()).isEqualTo("done");
        return running.stop();
    }

    @Test
    void eachEventOfTheProcessWithItsCallSiteAndSizes() throws Exception {
        try (Workload c = Workload.start("pipes", PIPE_MAKER)) {
            ToolRun r = traceThePipeMaker(c, "-p", String.valueOf(c.pid()));
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("Tracing kmem allocations and frees... Hit Ctrl-C to end.\n"
                    + "TIME(s)      CPU PID     COMM             EVENT            CALL_SITE                        "
                    + "PTR                BYTES_REQ BYTES_ALLOC GFP_FLAGS CACHE\n");
            List<String[]> rows = r.out().lines().skip(2).map(l -> l.trim().split("\\s+")).toList();
            assertThat(rows).as(r.out()).isNotEmpty().allSatisfy(f -> {
                assertThat(f).hasSize(11);
                assertThat(f[2]).isEqualTo(String.valueOf(c.pid()));
                assertThat(f[3]).isEqualTo(c.comm);
            });
            List<String[]> pipeInfo = rows.stream()
                    .filter(f -> f[4].equals("kmalloc") && f[5].startsWith("alloc_pipe_info+")).toList();
            assertThat(pipeInfo).as(r.out()).hasSize(2 * PIPES).allSatisfy(f -> {
                assertThat(f[6]).matches("0xffff[0-9a-f]{12}");
                assertThat(Long.parseLong(f[7])).isPositive();
                assertThat(Long.parseLong(f[8])).isGreaterThanOrEqualTo(Long.parseLong(f[7]));
                assertThat(f[10]).isEqualTo("-");
            });
            // two call sites in alloc_pipe_info: the pipe_inode_info and its buffers, once per pipe each
            assertThat(pipeInfo.stream().collect(Collectors.groupingBy(f -> f[5], Collectors.counting())))
                    .hasSize(2).containsValues((long) PIPES, (long) PIPES);
            Set<String> freed = rows.stream().filter(f -> f[4].equals("kfree")).map(f -> f[6])
                    .collect(Collectors.toSet());
            assertThat(freed).as("closing the pipes kfrees what alloc_pipe_info allocated")
                    .containsAll(pipeInfo.stream().map(f -> f[6]).toList());
            assertThat(rows.stream().filter(f -> f[4].equals("kmem_cache_alloc")
                    && f[5].startsWith("alloc_empty_file+") && f[10].equals("filp")).count())
                    .as("two struct files per pipe").isGreaterThanOrEqualTo(2 * PIPES);
        }
    }

    @Test
    void jsonEventsOfTheCommand() throws Exception {
        try (Workload c = Workload.start("pipes", PIPE_MAKER)) {
            ToolRun r = traceThePipeMaker(c, "-c", c.comm, "--json");
            assertThat(r.exit()).as(r.err()).isZero();
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> events = new ArrayList<>();
            for (String l : r.out().lines().toList()) events.add(json.readTree(l));
            assertThat(events).as(r.out()).isNotEmpty().allSatisfy(e -> {
                assertThat(e.get("event").asText()).isEqualTo("kmem");
                assertThat(e.get("comm").asText()).isEqualTo(c.comm);
                assertThat(e.get("pid").asInt()).isEqualTo(c.pid());
                assertThat(e.get("ts").asLong()).isPositive();
                assertThat(e.has("cpu")).isTrue();
            });
            List<JsonNode> pipeInfo = events.stream().filter(e -> e.get("tracepoint").asText().equals("kmalloc")
                    && e.get("call_site_sym").asText().startsWith("alloc_pipe_info+")).toList();
            assertThat(pipeInfo).as(r.out()).hasSize(2 * PIPES).allSatisfy(e -> {
                assertThat(e.get("ptr").asText()).matches("0xffff[0-9a-f]{12}");
                assertThat(e.get("call_site").asText()).matches("0xffffffff[0-9a-f]{8}");
                assertThat(e.get("bytes_alloc").asLong()).isGreaterThanOrEqualTo(e.get("bytes_req").asLong())
                        .isPositive();
            });
        }
    }

    @Test
    void summaryPerCallSite() throws Exception {
        try (Workload c = Workload.start("pipes", PIPE_MAKER)) {
            ToolRun r = traceThePipeMaker(c, "-p", String.valueOf(c.pid()), "-s", "-T", "100");
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("Tracing kmem allocations and frees by call site, printing top 100... "
                    + "Hit Ctrl-C to end.\n[").contains("\nCALL_SITE                                    ALLOCS"
                    + "      FREES    BYTES_REQ  BYTES_ALLOC CACHE\n");
            List<String[]> pipeInfo = r.out().lines().filter(l -> l.startsWith("alloc_pipe_info+"))
                    .map(l -> l.split("\\s+")).toList();
            assertThat(pipeInfo).as(r.out()).hasSize(2).allSatisfy(f -> {
                assertThat(f[1]).isEqualTo(String.valueOf(PIPES));
                assertThat(f[2]).isEqualTo("0");
                assertThat(Long.parseLong(f[3])).isPositive();
                assertThat(Long.parseLong(f[4])).isGreaterThanOrEqualTo(Long.parseLong(f[3]));
                assertThat(f[5]).isEqualTo("-");
            });
            assertThat(r.out().lines().filter(l -> l.startsWith("alloc_empty_file+")).map(l -> l.split("\\s+")))
                    .as(r.out()).singleElement().satisfies(f -> {
                        assertThat(Long.parseLong(f[1])).isGreaterThanOrEqualTo(2 * PIPES);
                        assertThat(f[5]).isEqualTo("filp");
                    });
        }
    }

    @Test
    void jsonSummaryEveryInterval() throws Exception {
        try (Workload c = Workload.start("pipes", PIPE_MAKER)) {
            ToolRun r = traceThePipeMaker(c, "-c", c.comm, "-s", "-i", "1", "--json", "-T", "100");
            assertThat(r.exit()).as(r.err()).isZero();
            ObjectMapper json = new ObjectMapper();
            long allocs = 0;
            for (String l : r.out().lines().toList()) {
                JsonNode site = json.readTree(l);
                if (!site.get("call_site_sym").asText().startsWith("alloc_pipe_info+")) continue;
                assertThat(site.get("frees").asLong()).isZero();
                assertThat(site.get("cache").asText()).isEmpty();
                allocs += site.get("allocs").asLong();
            }
            // the pipes may straddle intervals (and the last, cut short by the stop, is printed too): the sum over
            // the intervals is exact
            assertThat(allocs).as(r.out()).isEqualTo(2 * PIPES);
        }
    }
}
