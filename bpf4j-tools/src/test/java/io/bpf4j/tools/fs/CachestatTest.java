package io.bpf4j.tools.fs;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * cachestat counts the misses of reading a file just evicted from the page cache, the hits of reading it again,
 * and the dirtied pages of writing a new file.
 */
@KernelTest
class CachestatTest {
    private static final int PAGE = 4096;
    private static final int READ_PAGES = 4096; // 16 MiB
    private static final int WRITE_PAGES = 2048; // 8 MiB

    @Test
    void countsMissesHitsAndDirtiedPages() throws Throwable {
        String unique = "bpf4j-cachestat-" + ThreadLocalRandom.current().nextInt(1_000_000, 10_000_000);
        Path dir = Files.createTempDirectory(unique);
        assumeTrue(!Files.getFileStore(dir).type().equals("tmpfs"),
                "the page-cache tracepoints do not see tmpfs (shmem) pages; java.io.tmpdir is on tmpfs");
        Path read = dir.resolve("read.bin"), written = dir.resolve("written.bin");
        try {
            byte[] data = new byte[READ_PAGES * PAGE];
            ThreadLocalRandom.current().nextBytes(data);
            try (FileChannel ch = FileChannel.open(read, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(data));
                ch.force(true); // clean pages, which POSIX_FADV_DONTNEED then drops
            }
            evict(read);

            // Each phase in intervals of its own (a write's pages, inserted and dirtied, would otherwise be taken
            // for the read's misses or hits): after each, two more interval lines, so that the second read its
            // counters after the phase was over, however late the tool's thread runs. Then stopped: every page
            // the test touched is in a printed interval.
            ToolRun.Running running = ToolRun.start(Cachestat.class, "1");
            readAll(read); // misses
            running.awaitMoreLines(running.outSoFar().lines().count(), 2);
            readAll(read); // hits
            running.awaitMoreLines(running.outSoFar().lines().count(), 2);
            Files.write(written, new byte[WRITE_PAGES * PAGE]); // dirtied (and inserted, so not misses)
            running.awaitMoreLines(running.outSoFar().lines().count(), 2);
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            assertThat(lines.getFirst().trim().split("\\s+")).containsExactly("HITS", "MISSES", "DIRTIES", "HITRATIO",
                    "BUFFERS_MB", "CACHED_MB");
            assertThat(lines).as("a line per interval: three phases of two or more").hasSizeGreaterThanOrEqualTo(7);
            long hits = 0, misses = 0, dirties = 0;
            for (String l : lines.subList(1, lines.size())) {
                String[] c = l.trim().split("\\s+");
                assertThat(c).hasSize(6);
                assertThat(c[3]).endsWith("%");
                hits += Long.parseLong(c[0]);
                misses += Long.parseLong(c[1]);
                dirties += Long.parseLong(c[2]);
            }
            // other processes only add to these; a little slack for pages others' writes subtract from misses
            assertThat(misses).as("misses\n" + r.out()).isGreaterThanOrEqualTo(READ_PAGES * 95L / 100);
            assertThat(hits).as("hits\n" + r.out()).isGreaterThanOrEqualTo(READ_PAGES * 95L / 100);
            assertThat(dirties).as("dirties\n" + r.out()).isGreaterThanOrEqualTo(WRITE_PAGES);

            // interval and count: two lines after the header, then it ends by itself (nothing has to fit in them)
            ToolRun counted = ToolRun.start(Cachestat.class, "1", "2").finish();
            assertThat(counted.exit()).as(counted.err()).isZero();
            assertThat(counted.out().lines()).hasSize(3);
        } finally {
            Files.deleteIfExists(read);
            Files.deleteIfExists(written);
            Files.delete(dir);
        }
    }

    private static void readAll(Path file) throws Exception {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        try (FileChannel ch = FileChannel.open(file)) {
            while (ch.read(buf.clear()) > 0) {
                // reading is the point
            }
        }
    }

    /** posix_fadvise(POSIX_FADV_DONTNEED) on the whole file: its clean pages leave the page cache. */
    private static void evict(Path file) throws Throwable {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        MethodHandle open = linker.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MethodHandle fadvise = linker.downcallHandle(libc.find("posix_fadvise").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        MethodHandle close = linker.downcallHandle(libc.find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) open.invokeExact(arena.allocateFrom(file.toString()), 0);
            assertThat(fd).as("open " + file).isNotNegative();
            int rc = (int) fadvise.invokeExact(fd, 0L, 0L, 4); // POSIX_FADV_DONTNEED
            int closed = (int) close.invokeExact(fd);
            assertThat(rc).as("posix_fadvise").isZero();
            assertThat(closed).isZero();
        }
    }
}
