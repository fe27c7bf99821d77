package io.bpf4j.bench;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.events.BtfRecord;
import io.bpf4j.core.events.RecordDecoder;
import io.bpf4j.core.events.RecordMapper;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The cost of decoding one event with BTF: an opensnoop-like {@code struct event { u32 pid; char comm[16];
 * u64 ts; s32 ret; }} from native memory (as a ring buffer hands it out), into a generic {@link BtfRecord} and
 * into a Java record. Run: {@code java -jar target/benchmarks.jar DecodeBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DecodeBench {
    /** The Java side of the event. */
    public record Event(int pid, String comm, long ts, int ret) {
    }

    private RecordDecoder decoder;
    private RecordMapper<Event> mapper;
    private MemorySegment event;

    @Setup
    public void setup() {
        Btf btf = Btf.of(List.of(
                BtfType.Int.of("unsigned int", 4, false),                    // [1]
                new BtfType.Int("char", 1, BtfType.Int.SIGNED, 0, 8),         // [2]
                new BtfType.Array(2, 1, 16),                                  // [3] char[16]
                BtfType.Int.of("unsigned long long", 8, false),               // [4]
                BtfType.Int.of("int", 4, true),                               // [5]
                new BtfType.Struct("event", 32, List.of(
                        BtfType.Member.of("pid", 1, 0),
                        BtfType.Member.of("comm", 3, 32),
                        BtfType.Member.of("ts", 4, 192),
                        BtfType.Member.of("ret", 5, 256)))));
        decoder = RecordDecoder.forStruct(btf, "event");
        mapper = RecordMapper.of(decoder, Event.class);
        event = Arena.ofAuto().allocate(40, 8);
        event.set(ValueLayout.JAVA_INT, 0, 4242);
        event.setString(4, "opensnoop");
        event.set(ValueLayout.JAVA_LONG, 24, 123456789L);
        event.set(ValueLayout.JAVA_INT, 32, -2);
    }

    @Benchmark
    public BtfRecord generic() {
        return decoder.decode(event);
    }

    @Benchmark
    public Event javaRecord() {
        return mapper.decode(event);
    }
}
