package io.bpf4j.bcc;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.assertj.core.api.Assertions.assertThat;

/** examples/WritebackTrace.java and examples/KmemTrace.java: the tracepoint tracers, each with its trigger. */
@KernelTest
class TracepointExamplesTest {
    @TempDir
    static Path cache;

    @Test
    void writebackShowsTheInodeOfAFileWritten() throws Exception {
        // under target/, on the build's file system: a page cache with writeback (/tmp may be a tmpfs, which has none)
        Path dir = Files.createDirectories(Path.of("target", "writeback-test"));
        Path file = dir.resolve("dirty-" + ProcessHandle.current().pid());
        Files.deleteIfExists(file);
        try (ExampleRun run = ExampleRun.start(cache, "WritebackTrace.java")) {
            run.await(l -> l.startsWith("Attached to writeback:writeback_dirty_folio"), "its attached line");
            Files.write(file, new byte[8192]); // two pages dirtied in this process
            long ino = (Long) Files.getAttribute(file, "unix:ino");
            String pid = String.valueOf(ProcessHandle.current().pid());
            String line = run.await(l -> l.split("\\s+").length == 5 && l.split("\\s+")[3].equals(String.valueOf(ino)),
                    "a dirtied page of inode " + ino);
            assertThat(line.split("\\s+")[1]).isEqualTo(pid);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void kmemShowsTheAllocationsAndFreesOfACommand(@TempDir Path dir) throws Exception {
        Path trigger = dir.resolve("kmemtrig");
        Files.copy(Path.of("/bin/true"), trigger, StandardCopyOption.COPY_ATTRIBUTES);
        try (ExampleRun run = ExampleRun.start(cache, "KmemTrace.java", "kmemtrig")) {
            run.await(l -> l.startsWith("Attached to kmem:kmem_cache_alloc"), "its attached line");
            Process p = new ProcessBuilder(trigger.toString()).start(); // exec allocates, exit frees, as kmemtrig
            assertThat(p.waitFor()).isZero();
            String pid = " " + p.pid() + " ";
            String alloc = run.await(l -> l.contains(pid) && l.endsWith("kmem_cache_alloc"), "an allocation of " + pid);
            run.await(l -> l.contains(pid) && l.endsWith("kmem_cache_free"), "a free of " + pid);
            assertThat(alloc).contains("kmemtrig");
            assertThat(run.lines()).allMatch(l -> l.startsWith("Attached") || l.startsWith("TIME")
                    || l.contains(" kmemtrig "), "only the command asked for");
        }
    }
}
