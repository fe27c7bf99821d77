package io.bpf4j.bcc;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** examples/MkdirCounter.java: mkdirs made after it says it is attached, seen in each of its three modes. */
@KernelTest
class MkdirCounterExampleTest {
    @TempDir
    static Path cache;
    @TempDir
    Path dir;

    /** Runs {@code mkdir paths…} as one process and returns its pid once it has exited successfully. */
    static long mkdir(Path... paths) throws Exception {
        String[] cmd = new String[paths.length + 1];
        cmd[0] = "mkdir";
        for (int i = 0; i < paths.length; i++) cmd[i + 1] = paths[i].toString();
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        assertThat(p.waitFor()).isZero();
        return p.pid();
    }

    @Test
    void traceFieldsShowsTheMkdirsPid() throws Exception {
        try (ExampleRun run = ExampleRun.start(cache, "MkdirCounter.java", "trace")) {
            run.await(l -> l.startsWith("Attached say_mkdir"), "its attached line");
            // The trace pipe is the machine's: a line read by another reader (another tracer, another test run) is
            // not read here. So mkdirs go on, each its own process, until the line of one of them is seen.
            Set<Long> pids = ConcurrentHashMap.newKeySet();
            AtomicBoolean seen = new AtomicBoolean();
            Thread workload = Thread.ofPlatform().start(() -> {
                for (int i = 0; !seen.get(); i++) {
                    try {
                        pids.add(mkdir(dir.resolve("traced-" + i)));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            try {
                String line = run.await(l -> pids.stream().anyMatch(pid -> l.startsWith("mkdir by pid " + pid + " at ")),
                        "the trace line of one of the mkdirs");
                // the kernel names the task from its table of recent command names: "<...>" once a busy machine's
                // other processes pushed a short-lived mkdir out of it (bcc's trace_fields shows the same)
                assertThat(line).matches(".* ==> (mkdir|<\\.\\.\\.>)");
            } finally {
                seen.set(true);
                workload.join();
            }
        }
    }

    @Test
    void perfBufferCarriesThePathAndCommand() throws Exception {
        try (ExampleRun run = ExampleRun.start(cache, "MkdirCounter.java", "perf")) {
            run.await(l -> l.startsWith("Attached send_mkdir"), "its attached line");
            Path made = dir.resolve("sent-through-perf");
            long pid = mkdir(made);
            String line = run.await(l -> l.endsWith(" " + made), "the event of " + made);
            assertThat(line.split("\\s+")).containsSubsequence(String.valueOf(pid), "mkdir", made.toString());
        }
    }

    @Test
    void countsThreeMkdirsOfOneProcess() throws Exception {
        try (ExampleRun run = ExampleRun.start(cache, "MkdirCounter.java", "count")) {
            run.await(l -> l.startsWith("Attached count_mkdir"), "its attached line");
            long pid = mkdir(dir.resolve("a"), dir.resolve("b"), dir.resolve("c"));
            run.closeInput();
            assertThat(run.waitFor()).as(run.output()).isZero();
            assertThat(run.lines()).contains(String.format("%-7d %d", pid, 3));
        }
    }
}
