package io.bpf4j.output.pprof;

import io.bpf4j.core.symbols.Frame;
import io.bpf4j.output.Sink;
import io.bpf4j.output.StackCounts;
import io.bpf4j.output.TraceInfo;
import io.bpf4j.output.recorder.Outputs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * {@code --output pprof:FILE}: known stacks written by the sink, read back with protobuf's parser against
 * profile.proto's messages ({@link PprofFile}) and, where Debian's golang is installed, by {@code go tool pprof}.
 */
class PprofTest {
    /** profile -F 99: a sample stands for 1e9 / 99 ns of CPU. */
    private static final long PERIOD = 1_000_000_000L / 99;
    private static final StackCounts.Values CPU = new StackCounts.Values(List.of(
            new StackCounts.ValueType("samples", "count"), new StackCounts.ValueType("cpu", "nanoseconds")),
            new StackCounts.ValueType("cpu", "nanoseconds"), PERIOD);

    private static final Frame CLEAR = new Frame(0xffffffff81a01230L, "clear_page_erms", 0x10, "kernel",
            Frame.Kind.KERNEL);
    private static final Frame SYSCALL = new Frame(0xffffffff81b00040L, "do_syscall_64", 0x40, "kernel",
            Frame.Kind.KERNEL);
    private static final Frame EXT4 = new Frame(0xffffffffc0100020L, "ext4_file_read_iter", 0x20, "ext4",
            Frame.Kind.KERNEL);
    private static final Frame SPIN = new Frame(0x401136, "bpf4j_spin", 0x6, "/tmp/spin", Frame.Kind.USER);
    private static final Frame MAIN = new Frame(0x401160, "main", 0x10, "/tmp/spin", Frame.Kind.USER);
    private static final Frame LIBC_UNKNOWN = Frame.unknown(0x7f1200001000L, "/usr/lib/libc.so.6", Frame.Kind.USER);
    private static final Frame JIT = new Frame(0x7f3400000100L, "Interpreter", 0x100, "perf-42.map", Frame.Kind.JIT);
    private static final Frame NOWHERE = Frame.unknown(0x7f5600000000L, null, Frame.Kind.USER);

    private static StackCounts.Stack cpu(String process, long samples, Frame... frames) {
        return new StackCounts.Stack(process, List.of(frames), samples, List.of(samples, samples * PERIOD));
    }

    private static final StackCounts PROFILE = new StackCounts("samples", List.of(
            cpu("spin", 60, SPIN, MAIN),
            cpu("spin", 30, CLEAR, SYSCALL, EXT4, SPIN, MAIN),
            cpu("java", 7, JIT, LIBC_UNKNOWN, NOWHERE),
            cpu(null, 3, CLEAR, SYSCALL)), CPU);

    @Test
    void writesTheStacksAsAGzippedProfileThatProtobufReadsBack() throws Exception {
        Path file = Files.createTempFile("bpf4j-pprof", ".pb.gz");
        try {
            long before = System.currentTimeMillis() * 1_000_000;
            try (Sink sink = Outputs.open("pprof:" + file)) {
                assertThat(sink).isInstanceOf(PprofSink.class);
                sink.open(TraceInfo.now("profile", List.of()));
                sink.stacks(PROFILE);
            }
            long after = System.currentTimeMillis() * 1_000_000 + 1_000_000;
            PprofFile p = PprofFile.read(file);

            assertThat(p.sampleTypes()).containsExactly("samples/count", "cpu/nanoseconds");
            assertThat(p.periodType()).isEqualTo("cpu/nanoseconds");
            assertThat(p.period()).isEqualTo(10_101_010);
            assertThat(p.timeNanos()).isBetween(before, after);
            assertThat(p.durationNanos()).isPositive();
            assertThat(p.comments()).singleElement().satisfies(c -> assertThat(c).startsWith("bpf4j profile on "));

            // leaf first, then the process as the root frame (as folded stacks begin with it), and as a label
            assertThat(p.samples()).extracting(PprofFile.Sample::functions, PprofFile.Sample::values,
                    PprofFile.Sample::labels).containsExactly(
                    tuple(List.of("bpf4j_spin", "main", "spin"), List.of(60L, 60 * PERIOD), Map.of("comm", "spin")),
                    tuple(List.of("clear_page_erms", "do_syscall_64", "ext4_file_read_iter", "bpf4j_spin", "main",
                            "spin"), List.of(30L, 30 * PERIOD), Map.of("comm", "spin")),
                    tuple(List.of("Interpreter", "[unknown]", "[unknown]", "java"), List.of(7L, 7 * PERIOD),
                            Map.of("comm", "java")),
                    tuple(List.of("clear_page_erms", "do_syscall_64"), List.of(3L, 3 * PERIOD), Map.of()));

            // kernel and user frames told apart by their mapping; addresses kept
            assertThat(p.samples().get(1).locations()).containsExactly(
                    new PprofFile.Location(CLEAR.address(), "clear_page_erms", "[kernel.kallsyms]"),
                    new PprofFile.Location(SYSCALL.address(), "do_syscall_64", "[kernel.kallsyms]"),
                    new PprofFile.Location(EXT4.address(), "ext4_file_read_iter", "[ext4]"),
                    new PprofFile.Location(SPIN.address(), "bpf4j_spin", "/tmp/spin"),
                    new PprofFile.Location(MAIN.address(), "main", "/tmp/spin"),
                    new PprofFile.Location(0, "spin", null));
            assertThat(p.samples().get(2).locations()).containsExactly(
                    new PprofFile.Location(JIT.address(), "Interpreter", "[JIT perf-42.map]"),
                    new PprofFile.Location(LIBC_UNKNOWN.address(), "[unknown]", "/usr/lib/libc.so.6"),
                    new PprofFile.Location(NOWHERE.address(), "[unknown]", null),
                    new PprofFile.Location(0, "java", null));

            // each table entry once
            assertThat(p.mappings()).containsExactly("/tmp/spin", "[kernel.kallsyms]", "[ext4]", "[JIT perf-42.map]",
                    "/usr/lib/libc.so.6");
            assertThat(p.mappingsHaveFunctions()).isTrue();
            assertThat(p.functions()).containsExactly("bpf4j_spin", "main", "spin", "clear_page_erms",
                    "do_syscall_64", "ext4_file_read_iter", "Interpreter", "[unknown]", "java");
            assertThat(p.locationCount()).as("distinct (mapping, address, function)").isEqualTo(10);
            assertThat(p.strings().getFirst()).isEmpty();
            assertThat(new HashSet<>(p.strings())).hasSameSizeAs(p.strings());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void sumsTheStacksOfEveryIntervalAndKeepsEveryValue() throws Exception {
        Path file = Files.createTempFile("bpf4j-pprof", ".pb.gz");
        StackCounts.Values inuse = StackCounts.Values.of(new StackCounts.ValueType("inuse_objects", "count"),
                new StackCounts.ValueType("inuse_space", "bytes"));
        StackCounts heap = new StackCounts("bytes", List.of(
                new StackCounts.Stack(null, List.of(SPIN, MAIN), 4096, List.of(2L, 4096L)),
                new StackCounts.Stack(null, List.of(MAIN), 100, List.of(1L, 100L))), inuse);
        try {
            try (PprofSink sink = new PprofSink(file)) {
                sink.stacks(heap);
                sink.stacks(heap);
            }
            PprofFile p = PprofFile.read(file);
            assertThat(p.sampleTypes()).containsExactly("inuse_objects/count", "inuse_space/bytes");
            assertThat(p.periodType()).as("not sampled").isEqualTo("/");
            assertThat(p.period()).isZero();
            assertThat(p.samples()).extracting(PprofFile.Sample::functions, PprofFile.Sample::values).containsExactly(
                    tuple(List.of("bpf4j_spin", "main"), List.of(4L, 8192L)),
                    tuple(List.of("main"), List.of(2L, 200L)));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void aStackWithoutTypedValuesHasItsCountTypedByTheUnit() throws Exception {
        Path file = Files.createTempFile("bpf4j-pprof", ".pb.gz");
        try {
            try (PprofSink sink = new PprofSink(file)) {
                sink.stacks(new StackCounts("count", List.of(new StackCounts.Stack("spin", List.of(SPIN), 5))));
            }
            PprofFile p = PprofFile.read(file);
            assertThat(p.sampleTypes()).containsExactly("count/count");
            assertThat(p.samples()).singleElement().satisfies(s -> assertThat(s.values()).containsExactly(5L));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void goToolPprofReadsIt() throws Exception {
        Path file = Files.createTempFile("bpf4j-pprof", ".pb.gz");
        try {
            try (PprofSink sink = new PprofSink(file)) {
                sink.stacks(PROFILE);
            }
            String top = PprofFile.goToolPprof("-top", file);
            // 100 samples of 10.1 ms; bpf4j_spin's own 60 are 606 ms, and with those under it 90 samples
            assertThat(top).contains("Type: cpu").contains("Total samples = 1010.10ms")
                    .containsPattern("(?m)^\\s*606\\.06ms\\s+60\\.00%\\s+60\\.00%\\s+909\\.09ms\\s+90\\.00%"
                            + "\\s+bpf4j_spin$")
                    .containsPattern("(?m)\\s+clear_page_erms$").containsPattern("(?m)\\s+Interpreter$");
            assertThat(PprofFile.goToolPprof("-top", "-sample_index=samples", file))
                    .containsPattern("(?m)^\\s*60\\s+60\\.00%\\s+60\\.00%\\s+90\\s+90\\.00%\\s+bpf4j_spin$");
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
