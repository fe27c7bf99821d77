package io.bpf4j.core.btf;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The index of vmlinux's BTF kept between runs: what comes back from the cache answers every question as the parsed
 * BTF does, and a cache file of another kernel or a damaged one is never used.
 */
class VmlinuxCacheTest {
    @TempDir
    Path dir;

    private static final List<BtfType> TYPES = List.of(
            new BtfType.Int("int", 4, BtfType.Int.SIGNED, 0, 32),
            new BtfType.Struct("task_struct", 8, List.of(new BtfType.Member("pid", 1, 0, 0),
                    new BtfType.Member("tgid", 1, 32, 0))),
            new BtfType.Struct("task_struct___old", 4, List.of(new BtfType.Member("pid", 1, 0, 0))),
            new BtfType.Typedef("pid_t", 1),
            new BtfType.Ptr(2));

    /** A BTF file as the kernel would have it, and a parser that counts its calls. */
    private final AtomicInteger parses = new AtomicInteger();

    private Btf parse(Path file) {
        parses.incrementAndGet();
        try {
            return Btf.parse(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path btfFile() throws IOException {
        return Files.write(dir.resolve("vmlinux"), Btf.of(TYPES).encode());
    }

    private static void assertSameAnswers(Btf cached, Btf parsed) {
        assertThat(cached.typeCount()).isEqualTo(parsed.typeCount());
        for (int id = 1; id < parsed.nextTypeId(); id++) assertThat(cached.type(id)).isEqualTo(parsed.type(id));
        for (String name : List.of("int", "task_struct", "task_struct___old", "pid_t", "nothing"))
            assertThat(cached.typeIds(name)).as(name).isEqualTo(parsed.typeIds(name));
        assertThat(cached.flavoredIds()).containsExactly(parsed.flavoredIds());
        assertThat(cached.typeId("task_struct", BtfKind.STRUCT)).isEqualTo(parsed.typeId("task_struct", BtfKind.STRUCT));
    }

    @Test
    void theSecondRunReadsTheCacheAndAnswersAsTheParse() throws IOException {
        Path file = btfFile();
        VmlinuxCache cache = new VmlinuxCache(dir.resolve("cache"));
        Btf first = cache.load(file, this::parse);
        assertThat(parses).hasValue(1);
        assertThat(dir.resolve("cache")).isDirectoryContaining("glob:**.btfidx");
        Btf second = cache.load(file, this::parse);
        assertThat(parses).as("the second load parsed nothing").hasValue(1);
        assertSameAnswers(second, first);
        assertThat(second.flavoredIds()).containsExactly(3);
    }

    @Test
    void anotherKernelsFileIsNotUsed() throws IOException {
        Path file = btfFile();
        VmlinuxCache cache = new VmlinuxCache(dir.resolve("cache"));
        cache.load(file, this::parse);
        // a new boot: sysfs dates the BTF file anew
        Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 60_000));
        cache.load(file, this::parse);
        assertThat(parses).hasValue(2);
        cache.load(file, this::parse);
        assertThat(parses).as("made anew for the new kernel, then used").hasValue(2);
    }

    @Test
    void aDamagedFileIsMadeAnew() throws IOException {
        Path file = btfFile();
        VmlinuxCache cache = new VmlinuxCache(dir.resolve("cache"));
        Btf parsed = cache.load(file, this::parse);
        Path cached;
        try (var s = Files.list(dir.resolve("cache"))) {
            cached = s.findFirst().orElseThrow();
        }
        byte[] whole = Files.readAllBytes(cached);
        for (int cut : new int[] {0, 7, 40, whole.length / 2, whole.length - 1}) {
            Files.write(cached, java.util.Arrays.copyOf(whole, cut));
            assertThat(VmlinuxCache.read(cached, VmlinuxCache.key(file))).as("cut at %d", cut).isNull();
        }
        Btf again = cache.load(file, this::parse);
        assertThat(parses).hasValue(2);
        assertSameAnswers(again, parsed);
        assertThat(Files.readAllBytes(cached)).isEqualTo(whole);
    }

    @Test
    void anUnwritableCacheOnlyCostsTheParse() throws IOException {
        Path file = btfFile();
        Path notADir = Files.writeString(dir.resolve("cache"), "a file where the directory should be");
        VmlinuxCache cache = new VmlinuxCache(notADir);
        Btf first = cache.load(file, this::parse);
        assertSameAnswers(cache.load(file, this::parse), first);
        assertThat(parses).as("each load parsed").hasValue(2);
    }

    /** This kernel's vmlinux through the cache and parsed directly: the same types and names. */
    @KernelTest
    @Test
    void vmlinuxFromTheCacheIsVmlinux() throws IOException {
        Path vmlinux = KernelBtf.SYSFS.resolve("vmlinux");
        assumeThat(vmlinux).as("kernel BTF (CONFIG_DEBUG_INFO_BTF)").isReadable();
        VmlinuxCache cache = new VmlinuxCache(dir.resolve("cache"));
        Btf parsed = cache.load(vmlinux, f -> KernelBtf.load(f, null));
        Btf cached = cache.load(vmlinux, f -> {
            throw new AssertionError("parsed again");
        });
        assertThat(cached.typeCount()).isEqualTo(parsed.typeCount()).isGreaterThan(10_000);
        for (int id = 1; id < parsed.nextTypeId(); id += 97) assertThat(cached.type(id)).isEqualTo(parsed.type(id));
        for (String name : List.of("task_struct", "sk_buff", "btf_trace_sched_switch", "pid_t", "bpf_attr"))
            assertThat(cached.typeIds(name)).as(name).isNotEmpty().isEqualTo(parsed.typeIds(name));
        assertThat(cached.flavoredIds()).containsExactly(parsed.flavoredIds());
    }
}
