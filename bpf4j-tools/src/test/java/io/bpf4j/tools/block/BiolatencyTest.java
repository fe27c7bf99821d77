package io.bpf4j.tools.block;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * biolatency times the block I/O the test causes: 64 writes of 4 KiB, each forced to the disk with fsync, in a file
 * next to the build (on a block device, not tmpfs); -D labels the histogram with the disk.
 */
@KernelTest
class BiolatencyTest {
    @Test
    void histogramCountsTheSyncedWritesPerDisk() throws Exception {
        Path dir = Path.of("target");
        String device = Files.getFileStore(dir).name(); // e.g. /dev/vda
        assumeTrue(device.startsWith("/dev/"), "the build directory is on " + device + ", not a block device");
        Path file = Files.createTempFile(dir, "bpf4j-bio", ".dat");
        try {
            // no interval the writes must fit in: an fsync returns after its I/O completed (and was timed), so the
            // tool is stopped once they are done, and prints its histograms as at Ctrl-C
            ToolRun.Running running = ToolRun.start(Biolatency.class, "-D");
            assertThat(running.outSoFar()).startsWith("Tracing block device I/O");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ByteBuffer block = ByteBuffer.allocate(4096);
                for (int i = 0; i < 64; i++) {
                    block.clear();
                    ch.write(block, (long) i * 4096);
                    ch.force(true);
                }
            }
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            String disk = device.substring("/dev/".length()).replaceAll("\\d+$", ""); // a partition's disk
            int at = r.out().indexOf("disk = " + disk);
            assertThat(at).as(r.out()).isNotNegative();
            String hist = r.out().substring(at).split("\n\n")[0];
            assertThat(hist).contains("usecs               : count     distribution");
            long total = 0;
            Matcher m = Pattern.compile("(?m)^\\s+\\d+ -> \\d+\\s+: (\\d+)").matcher(hist);
            while (m.find()) total += Long.parseLong(m.group(1));
            assertThat(total).as(hist).isGreaterThanOrEqualTo(64);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
