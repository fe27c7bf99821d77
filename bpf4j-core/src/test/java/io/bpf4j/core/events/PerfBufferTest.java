package io.bpf4j.core.events;

import io.bpf4j.core.Await;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Cpus;
import io.bpf4j.core.Program;
import io.bpf4j.core.TestRun;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static io.bpf4j.core.asm.Register.R4;
import static io.bpf4j.core.asm.Register.R5;
import static io.bpf4j.core.asm.Register.R6;
import static io.bpf4j.core.asm.Register.R7;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Perf buffer reading against the kernel: programs run by BPF_PROG_TEST_RUN send 12-byte samples (a sequence
 * number, then the CPU they ran on) with {@code bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, …)}; each takes
 * 24 bytes of ring (8-byte header, 4-byte size), so records straddle the end of a one-page ring.
 */
@KernelTest
class PerfBufferTest {
    record Sample(int cpu, long seq, int cpuInData) {
    }

    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "loading programs needs root");
    }

    static Program outputProgram(ProgramType type, BpfMap seq, BpfMap events) {
        Assembler a = new Assembler().mov64(R6, R1);
        RingBufferTest.nextSequence(a, seq)
                .call(Helper.GET_SMP_PROCESSOR_ID)
                .stxDW(R10, -16, R7)
                .stxW(R10, -8, R0)
                .mov64(R1, R6)
                .loadMapFd(R2, events)
                .mov32(R3, -1) // BPF_F_CURRENT_CPU = 0xffffffff, upper half (XDP: packet bytes to append) zero
                .mov64(R4, R10)
                .add64(R4, -16)
                .mov64(R5, 12)
                .call(Helper.PERF_EVENT_OUTPUT)
                .label("out")
                .mov64(R0, type == ProgramType.XDP ? 2 : 0)
                .exit();
        return Program.load(ProgramSpec.of("bpf4j_perf_out", type, a.build()));
    }

    static PerfBuffer.Handler collect(List<Sample> into) {
        return (cpu, data) -> {
            assertThat(data.byteSize()).isEqualTo(12);
            into.add(new Sample(cpu, data.get(JAVA_LONG_UNALIGNED, 0), data.get(JAVA_INT_UNALIGNED, 8)));
        };
    }

    static void run(Program p, int times) {
        p.testRun(TestRun.withData(new byte[64]).repeat(times));
    }

    @Test
    void samplesArriveWithTheirBytesAndCpu() {
        List<Sample> seen = new ArrayList<>();
        try (BpfMap seq = RingBufferTest.sequence();
             BpfMap events = BpfMap.create(MapSpec.perfEventArray("perf_events"));
             Program p = outputProgram(ProgramType.XDP, seq, events);
             PerfBuffer perf = PerfBuffer.open(events, collect(seen))) {
            assertThat(perf.cpus()).isEqualTo(Cpus.online());
            assertThat(perf.consume()).isZero();
            run(p, 100);
            assertThat(perf.poll(Duration.ofSeconds(1))).isEqualTo(100);
            assertThat(perf.sampleCount()).isEqualTo(100);
            assertThat(perf.lostCount()).isZero();
        }
        assertThat(seen).hasSize(100);
        for (int i = 0; i < 100; i++) {
            assertThat(seen.get(i).seq()).isEqualTo(i);
            assertThat(seen.get(i).cpu()).isEqualTo(seen.get(i).cpuInData());
        }
    }

    @Test
    void eachCpuWritesToItsOwnRing() {
        List<Integer> cpus = Cpus.online();
        List<Sample> seen = new ArrayList<>();
        try (BpfMap seq = RingBufferTest.sequence();
             BpfMap events = BpfMap.create(MapSpec.perfEventArray("perf_events"));
             Program p = outputProgram(ProgramType.RAW_TRACEPOINT, seq, events);
             PerfBuffer perf = PerfBuffer.open(events, collect(seen))) {
            for (int cpu : cpus) {
                for (int i = 0; i < 3; i++) p.testRun(TestRun.withContext(new byte[8]).onCpu(cpu));
            }
            assertThat(perf.consume()).isEqualTo(3 * cpus.size());
        }
        for (int cpu : cpus) {
            assertThat(seen.stream().filter(s -> s.cpu() == cpu).toList()).as("CPU %d", cpu).hasSize(3)
                    .allMatch(s -> s.cpuInData() == cpu);
        }
    }

    @Test
    void recordsWrappingTheRingArriveWhole() {
        List<Sample> seen = new ArrayList<>();
        try (BpfMap seq = RingBufferTest.sequence();
             BpfMap events = BpfMap.create(MapSpec.perfEventArray("perf_events"));
             Program p = outputProgram(ProgramType.XDP, seq, events);
             PerfBuffer perf = PerfBuffer.open(events, PerfBuffer.Options.defaults().pagesPerCpu(1), collect(seen))) {
            for (int round = 0; round < 20; round++) {
                run(p, 100);
                assertThat(perf.consume()).as("round %d", round).isEqualTo(100);
            }
            assertThat(perf.lostCount()).isZero();
        }
        assertThat(seen).hasSize(2000);
        for (int i = 0; i < 2000; i++) assertThat(seen.get(i).seq()).isEqualTo(i);
    }

    @Test
    void aFullRingReportsWhatItLost() {
        List<Sample> seen = new ArrayList<>();
        List<long[]> losses = new ArrayList<>();
        PerfBuffer.Handler samples = collect(seen);
        PerfBuffer.Handler handler = new PerfBuffer.Handler() {
            @Override
            public void onSample(int cpu, MemorySegment data) {
                samples.onSample(cpu, data);
            }

            @Override
            public void onLost(int cpu, long count) {
                losses.add(new long[] {cpu, count});
            }
        };
        // Every sample goes to CPU 0's ring (raw_tp test runs can be steered to a CPU): the loss is reported there,
        // with the next sample that finds room.
        TestRun onCpu0 = TestRun.withContext(new byte[8]).onCpu(0);
        try (BpfMap seq = RingBufferTest.sequence();
             BpfMap events = BpfMap.create(MapSpec.perfEventArray("perf_events"));
             Program p = outputProgram(ProgramType.RAW_TRACEPOINT, seq, events);
             PerfBuffer perf = PerfBuffer.open(events, PerfBuffer.Options.defaults().pagesPerCpu(1), handler)) {
            for (int i = 0; i < 1000; i++) p.testRun(onCpu0); // 24 KB into a 4 KB ring nobody reads
            int first = perf.consume();
            assertThat(first).isBetween(1, (int) Host.pageSize() / 24);
            p.testRun(onCpu0);
            perf.consume();
            assertThat(perf.lostCount()).isEqualTo(1001 - perf.sampleCount()).isPositive();
            assertThat(losses).hasSize(1);
            assertThat(losses.getFirst()).containsExactly(0, perf.lostCount());
        }
        assertThat(seen.getLast().seq()).isEqualTo(1000);
    }

    @Test
    void pollWakesUpAtTheFirstSample() throws Exception {
        List<Sample> seen = new ArrayList<>();
        try (BpfMap seq = RingBufferTest.sequence();
             BpfMap events = BpfMap.create(MapSpec.perfEventArray("perf_events"));
             Program p = outputProgram(ProgramType.XDP, seq, events);
             PerfBuffer perf = PerfBuffer.open(events, collect(seen))) {
            assertThat(perf.poll(Duration.ofMillis(20))).isZero();
            CompletableFuture<Integer> polled = new CompletableFuture<>();
            Thread.ofPlatform().name("pb-wake-poller").start(() -> polled.complete(perf.poll(Duration.ofSeconds(60))));
            Await.blockedInEpoll("pb-wake-poller"); // the sample must wake it, not be there already
            run(p, 1);
            assertThat(polled.get(60, TimeUnit.SECONDS)).isEqualTo(1);
        }
    }

    @Test
    void closingRemovesTheEventsFromTheMap() {
        try (BpfMap events = BpfMap.create(MapSpec.perfEventArray("perf_events"))) {
            try (PerfBuffer perf = PerfBuffer.open(events, (cpu, data) -> { })) {
                assertThat(perf.cpus()).isNotEmpty();
            }
            // User space cannot look perf events up in the map, but deleting an absent entry says ENOENT.
            for (int cpu : Cpus.online()) {
                byte[] key = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(cpu)
                        .array();
                assertThat(events.delete(key)).as("CPU %d's slot is empty", cpu).isFalse();
            }
        }
    }

    @Test
    void refusesOtherMapsAndBadOptions() {
        try (BpfMap seq = RingBufferTest.sequence()) {
            assertThatThrownBy(() -> PerfBuffer.open(seq, (cpu, data) -> { }))
                    .hasMessageContaining("not a perf event array");
        }
        assertThatThrownBy(() -> PerfBuffer.Options.defaults().pagesPerCpu(3))
                .hasMessageContaining("power of two");
    }
}
