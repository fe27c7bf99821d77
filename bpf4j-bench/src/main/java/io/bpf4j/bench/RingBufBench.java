package io.bpf4j.bench;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.events.RingBuffer;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.Tracepoint;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static io.bpf4j.core.asm.Register.R4;
import static io.bpf4j.core.asm.Register.R5;
import static io.bpf4j.core.asm.Register.R6;
import static io.bpf4j.core.asm.Register.R7;
import static io.bpf4j.core.asm.Register.R8;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The driver of run-ringbuf-bench: one BPF program on the tracepoint syscalls:sys_enter_getppid writes a 64-byte
 * record into a ring buffer per call; a C process floods getppid() pinned to CPU 0 ({@code ringbench flood}); the
 * records are read on CPU 1 by bpf4j's {@link RingBuffer} (in this JVM, which the script starts pinned to CPU 1)
 * or by libbpf's {@code ring_buffer__poll} ({@code ringbench consume}, reading the same map pinned in bpffs).
 * The program counts its attempts and the records the full ring refused, so every event is accounted for.
 * <p>
 * Arguments: {@code RINGBENCH_BINARY SECONDS RING_BYTES ROUNDS}. Prints one line per trial, then a table.
 */
public final class RingBufBench {
    private static final int EVENT = 64;

    record Trial(String consumer, long calls, double seconds, long attempts, long refused, long received,
                 double consumerCpuSeconds) {
        double eventsPerSecond() {
            return received / seconds;
        }

        long unaccounted() {
            return attempts - refused - received;
        }
    }

    private RingBufBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: RingBufBench RINGBENCH_BINARY SECONDS RING_BYTES ROUNDS");
            System.exit(2);
        }
        Path ringbench = Path.of(args[0]);
        double seconds = Double.parseDouble(args[1]);
        int ringBytes = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        Path pin = Path.of("/sys/fs/bpf/bpf4j_ringbench_" + ProcessHandle.current().pid());
        List<Trial> trials = new ArrayList<>();
        try (BpfMap counters = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("rb_counters").keySize(4)
                .valueSize(16).maxEntries(1).build());
             BpfMap ring = BpfMap.create(MapSpec.ringBuffer("rb_bench", ringBytes));
             Program prog = program(counters, ring);
             Link link = Tracepoint.attach(prog, "syscalls", "sys_enter_getppid")) {
            ring.pin(pin);
            try {
                // Warm-up, not in the table: the JIT compiles the consumer loop and the handler (in the first
                // seconds an interpreted consumer falls behind and the ring overflows), the C side pages in libbpf.
                System.out.println("warm-up (not in the table):");
                report(trialC(ringbench, pin, 1, counters));
                report(trialJava(ringbench, ring, 1, counters));
                System.out.println();
                for (int round = 0; round < rounds; round++) {
                    // libbpf first, then bpf4j, each round: a drift in machine load shows instead of favouring one.
                    trials.add(report(trialC(ringbench, pin, seconds, counters)));
                    trials.add(report(trialJava(ringbench, ring, seconds, counters)));
                }
            } finally {
                Files.deleteIfExists(pin);
            }
        }
        table(trials, seconds, ringBytes);
    }

    /** attempts = counters[0]++; record {seq, pid_tgid, ktime, 0…}; refused: counters[8] += 1. */
    static Program program(BpfMap counters, BpfMap ring) {
        return program(counters, ring, ProgramType.TRACEPOINT, "bpf4j_ringbench");
    }

    /**
     * The same program for {@code type} (TRACEPOINT, XDP…), writing into {@code out}: a ring buffer
     * (bpf_ringbuf_output) or a perf event array (bpf_perf_event_output on the current CPU); refused counts the
     * helper's failures in both cases (ring full; for perf, the samples the kernel reports lost).
     */
    static Program program(BpfMap counters, BpfMap out, ProgramType type, String name) {
        boolean perf = out.type() == MapType.PERF_EVENT_ARRAY;
        Assembler a = new Assembler()
                .mov64(R6, R1)
                .loadMapFd(R1, counters)
                .stW(R10, -68, 0)
                .mov64(R2, R10)
                .add64(R2, -68)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(R0, 0, "out")
                .mov64(R8, R0)
                .mov64(R7, 1)
                .atomicFetchAdd(Size.DW, R8, 0, R7)
                .stxDW(R10, -64, R7)
                .call(Helper.GET_CURRENT_PID_TGID)
                .stxDW(R10, -56, R0)
                .call(Helper.KTIME_GET_NS)
                .stxDW(R10, -48, R0);
        for (int off = -40; off < 0; off += 8) a.stDW(R10, off, 0);
        if (perf) {
            // BPF_F_CURRENT_CPU = 0xffffffff (mov32 zero-extends)
            a.mov64(R1, R6).loadMapFd(R2, out).mov32(R3, -1).mov64(R4, R10).add64(R4, -64).mov64(R5, EVENT)
                    .call(Helper.PERF_EVENT_OUTPUT);
        } else {
            a.loadMapFd(R1, out).mov64(R2, R10).add64(R2, -64).mov64(R3, EVENT).mov64(R4, 0)
                    .call(Helper.RINGBUF_OUTPUT);
        }
        a.jeq(R0, 0, "out")
                .mov64(R1, 1)
                .atomicAdd(Size.DW, R8, 8, R1)
                .label("out")
                .mov64(R0, type == ProgramType.XDP ? 2 : 0) // XDP_PASS
                .exit();
        return Program.load(ProgramSpec.of(name, type, a.build()));
    }

    static Trial trialJava(Path ringbench, BpfMap map, double seconds, BpfMap counters) throws Exception {
        reset(counters);
        AtomicBoolean stop = new AtomicBoolean();
        long[] result = new long[3]; // records, checksum, cpu ns
        Thread consumer = new Thread(() -> {
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long cpu0 = mx.getCurrentThreadCpuTime();
            long[] sum = {0};
            try (RingBuffer rb = RingBuffer.open(map, r -> sum[0] += r.get(JAVA_LONG, 0))) {
                while (!stop.get()) rb.poll(Duration.ofMillis(100));
                rb.consume();
                result[0] = rb.recordCount();
            }
            result[1] = sum[0];
            result[2] = mx.getCurrentThreadCpuTime() - cpu0;
        }, "ringbuf-consumer");
        consumer.start();
        Thread.sleep(100);
        String[] flood = flood(ringbench, seconds);
        Thread.sleep(200);
        stop.set(true);
        consumer.join();
        long[] c = counters(counters);
        return new Trial("bpf4j (Java)", Long.parseLong(flood[1]), Double.parseDouble(flood[3]), c[0], c[1],
                result[0], result[2] / 1e9);
    }

    static Trial trialC(Path ringbench, Path pin, double seconds, BpfMap counters) throws Exception {
        reset(counters);
        Process consumer = new ProcessBuilder("taskset", "-c", "1", ringbench.toString(), "consume", pin.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(consumer.getInputStream()));
        String ready = out.readLine();
        if (!"ready".equals(ready)) throw new IOException("ringbench consume did not start: " + ready);
        String[] flood = flood(ringbench, seconds);
        Thread.sleep(200);
        // SIGTERM: it drains and prints its count. Through the handle: Process.destroy() also closes our pipes.
        consumer.toHandle().destroy();
        String[] line = out.readLine().split(" ");
        String[] cpu = out.readLine().split(" ");
        consumer.waitFor();
        long[] c = counters(counters);
        return new Trial("libbpf (C)", Long.parseLong(flood[1]), Double.parseDouble(flood[3]), c[0], c[1],
                Long.parseLong(line[1]), Double.parseDouble(cpu[1]));
    }

    /** Runs the flooder on CPU 0; returns its output "calls N seconds S" split on spaces. */
    static String[] flood(Path ringbench, double seconds) throws Exception {
        Process p = new ProcessBuilder("taskset", "-c", "0", ringbench.toString(), "flood", Double.toString(seconds))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() != 0 || !line.startsWith("calls ")) throw new IOException("ringbench flood failed: " + line);
        return line.split(" ");
    }

    static void reset(BpfMap counters) {
        counters.update(new byte[4], new byte[16]);
    }

    static long[] counters(BpfMap counters) {
        ByteBuffer b = ByteBuffer.wrap(counters.lookup(new byte[4]).orElseThrow()).order(ByteOrder.nativeOrder());
        return new long[] {b.getLong(0), b.getLong(8)};
    }

    static Trial report(Trial t) {
        System.out.printf(Locale.ROOT, "%-13s calls %,d in %.2f s; program attempts %,d, refused (ring full) %,d; "
                        + "received %,d; unaccounted %d; consumer CPU %.2f s%n", t.consumer(), t.calls(), t.seconds(),
                t.attempts(), t.refused(), t.received(), t.unaccounted(), t.consumerCpuSeconds());
        return t;
    }

    static void table(List<Trial> trials, double seconds, int ringBytes) {
        System.out.printf(Locale.ROOT, "%nring buffer, %d-byte records, %d KiB ring, %.0f s per trial; producer: "
                + "getppid() flood on CPU 0, consumer on CPU 1%n%n", EVENT, ringBytes / 1024, seconds);
        System.out.printf("| consumer | events/s (received) | lost (ring full) | unaccounted | consumer CPU %% | "
                + "CPU ns/event |%n|---|---:|---:|---:|---:|---:|%n");
        for (Trial t : trials) {
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %,d | %d | %.1f | %.0f |%n", t.consumer(),
                    t.eventsPerSecond(), t.refused(), t.unaccounted(), 100 * t.consumerCpuSeconds() / t.seconds(),
                    t.received() == 0 ? 0.0 : t.consumerCpuSeconds() * 1e9 / t.received());
        }
        double java = mean(trials, "bpf4j"), c = mean(trials, "libbpf");
        double javaCpu = meanCpu(trials, "bpf4j"), cCpu = meanCpu(trials, "libbpf");
        System.out.printf(Locale.ROOT, "%nbpf4j / libbpf: events/s ratio %.3f; CPU ns/event ratio %.2f%n", java / c,
                javaCpu / cCpu);
    }

    private static double mean(List<Trial> trials, String prefix) {
        return trials.stream().filter(t -> t.consumer().startsWith(prefix)).mapToDouble(Trial::eventsPerSecond)
                .average().orElse(Double.NaN);
    }

    private static double meanCpu(List<Trial> trials, String prefix) {
        return trials.stream().filter(t -> t.consumer().startsWith(prefix))
                .mapToDouble(t -> t.consumerCpuSeconds() * 1e9 / Math.max(1, t.received())).average()
                .orElse(Double.NaN);
    }
}
