package io.bpf4j.bench;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Program;
import io.bpf4j.core.events.PerfBuffer;
import io.bpf4j.core.events.RingBuffer;
import io.bpf4j.core.link.Link;
import io.bpf4j.core.link.Tracepoint;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramType;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The driver of run-events-bench: {@link RingBufBench}'s set-up (same program, same C helper {@code ringbench},
 * producer on CPU 0, consumer on CPU 1, attempts and refusals counted by the program) run for four scenarios,
 * each read by libbpf and by bpf4j in turn:
 * <ul>
 *   <li>ring flood — the tracepoint program on sys_enter_getppid, bpf_ringbuf_output, {@code ringbench flood};
 *       libbpf ring_buffer__poll vs bpf4j {@link RingBuffer} (what run-ringbuf-bench measures);</li>
 *   <li>perf flood — the same with a PERF_EVENT_ARRAY and bpf_perf_event_output(BPF_F_CURRENT_CPU);
 *       libbpf perf_buffer__new/perf_buffer__poll vs bpf4j {@link PerfBuffer}, both with the same pages per CPU
 *       and a wake-up at every sample (libbpf's default and {@link PerfBuffer.Options#defaults()}'s);</li>
 *   <li>ring burst / perf burst — an XDP program writing one record per run, driven by BPF_PROG_TEST_RUN with
 *       repeat = REPEAT ({@code ringbench burst}: CALLS such calls on CPU 0) while the consumer reads
 *       concurrently on CPU 1.</li>
 * </ul>
 * Arguments: {@code RINGBENCH_BINARY SECONDS RING_BYTES ROUNDS REPEAT CALLS}. RING_BYTES sizes the ring buffer and,
 * as RING_BYTES / 4096 pages, each CPU's perf ring. Prints one line per trial, then a table.
 */
public final class EventsBench {
    enum Scenario {
        RING_FLOOD("ring buffer, getppid flood", false, false),
        PERF_FLOOD("perf buffer, getppid flood", true, false),
        RING_BURST("ring buffer, XDP test-run burst", false, true),
        PERF_BURST("perf buffer, XDP test-run burst", true, true);

        final String label;
        final boolean perf, burst;

        Scenario(String label, boolean perf, boolean burst) {
            this.label = label;
            this.perf = perf;
            this.burst = burst;
        }
    }

    record Trial(Scenario scenario, String consumer, long calls, double seconds, long attempts, long refused,
                 long received, long reportedLost, double consumerCpuSeconds) {
        double eventsPerSecond() {
            return received / seconds;
        }

        long unaccounted() {
            return attempts - refused - received;
        }

        double cpuNsPerEvent() {
            return received == 0 ? 0.0 : consumerCpuSeconds * 1e9 / received;
        }
    }

    private EventsBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage: EventsBench RINGBENCH_BINARY SECONDS RING_BYTES ROUNDS REPEAT CALLS");
            System.exit(2);
        }
        Path ringbench = Path.of(args[0]);
        double seconds = Double.parseDouble(args[1]);
        int ringBytes = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        int repeat = Integer.parseInt(args[4]);
        int calls = Integer.parseInt(args[5]);
        int pages = Math.max(1, ringBytes / 4096);
        List<Trial> trials = new ArrayList<>();
        for (Scenario s : Scenario.values()) {
            System.out.println("== " + s.label);
            trials.addAll(scenario(s, ringbench, seconds, ringBytes, pages, rounds, repeat, calls));
            System.out.println();
        }
        table(trials, seconds, ringBytes, pages, rounds, repeat, calls);
    }

    static List<Trial> scenario(Scenario s, Path ringbench, double seconds, int ringBytes, int pages, int rounds,
                                int repeat, int calls) throws Exception {
        long pid = ProcessHandle.current().pid();
        Path mapPin = Path.of("/sys/fs/bpf/bpf4j_eventsbench_map_" + pid);
        Path progPin = Path.of("/sys/fs/bpf/bpf4j_eventsbench_prog_" + pid);
        List<Trial> trials = new ArrayList<>();
        try (BpfMap counters = BpfMap.create(MapSpec.builder(MapType.ARRAY).name("ev_counters").keySize(4)
                .valueSize(16).maxEntries(1).build());
             BpfMap out = BpfMap.create(s.perf ? MapSpec.perfEventArray("ev_perf")
                     : MapSpec.ringBuffer("ev_ring", ringBytes));
             Program prog = RingBufBench.program(counters, out, s.burst ? ProgramType.XDP : ProgramType.TRACEPOINT,
                     "bpf4j_evbench");
             Link link = s.burst ? null : Tracepoint.attach(prog, "syscalls", "sys_enter_getppid")) {
            out.pin(mapPin);
            if (s.burst) prog.pin(progPin);
            try {
                Callable<String[]> warm = producer(s, ringbench, 1, progPin, repeat, 1);
                Callable<String[]> producer = producer(s, ringbench, seconds, progPin, repeat, calls);
                System.out.println("warm-up (not in the table):");
                report(trialC(s, ringbench, mapPin, pages, warm, counters));
                report(trialJava(s, out, pages, warm, counters));
                for (int round = 0; round < rounds; round++) {
                    trials.add(report(trialC(s, ringbench, mapPin, pages, producer, counters)));
                    trials.add(report(trialJava(s, out, pages, producer, counters)));
                }
            } finally {
                Files.deleteIfExists(mapPin);
                Files.deleteIfExists(progPin);
            }
        }
        return trials;
    }

    static Callable<String[]> producer(Scenario s, Path ringbench, double seconds, Path progPin, int repeat,
                                       int calls) {
        if (!s.burst) return () -> RingBufBench.flood(ringbench, seconds);
        return () -> {
            Process p = new ProcessBuilder("taskset", "-c", "0", ringbench.toString(), "burst", progPin.toString(),
                    Integer.toString(repeat), Integer.toString(calls))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String line = new String(p.getInputStream().readAllBytes()).strip();
            if (p.waitFor() != 0 || !line.startsWith("calls ")) {
                throw new IOException("ringbench burst failed: " + line);
            }
            return line.split(" ");
        };
    }

    static Trial trialJava(Scenario s, BpfMap map, int pages, Callable<String[]> producer, BpfMap counters)
            throws Exception {
        RingBufBench.reset(counters);
        AtomicBoolean stop = new AtomicBoolean();
        long[] result = new long[4]; // records, checksum, cpu ns, reported lost
        Throwable[] failure = new Throwable[1];
        Thread consumer = new Thread(() -> {
            try {
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                long cpu0 = mx.getCurrentThreadCpuTime();
                long[] sum = {0};
                if (s.perf) {
                    try (PerfBuffer pb = PerfBuffer.open(map, PerfBuffer.Options.defaults().pagesPerCpu(pages),
                            (cpu, data) -> sum[0] += data.get(JAVA_LONG_UNALIGNED, 0))) {
                        while (!stop.get()) pb.poll(Duration.ofMillis(100));
                        pb.consume();
                        result[0] = pb.sampleCount();
                        result[3] = pb.lostCount();
                    }
                } else {
                    try (RingBuffer rb = RingBuffer.open(map, r -> sum[0] += r.get(JAVA_LONG, 0))) {
                        while (!stop.get()) rb.poll(Duration.ofMillis(100));
                        rb.consume();
                        result[0] = rb.recordCount();
                    }
                }
                result[1] = sum[0];
                result[2] = mx.getCurrentThreadCpuTime() - cpu0;
            } catch (Throwable t) {
                failure[0] = t;
            }
        }, "events-consumer");
        consumer.start();
        Thread.sleep(150); // the perf events are opened and stored in the map before the producer starts
        String[] run = producer.call();
        Thread.sleep(200);
        stop.set(true);
        consumer.join();
        if (failure[0] != null) throw new IOException("bpf4j consumer failed", failure[0]);
        long[] c = RingBufBench.counters(counters);
        return new Trial(s, "bpf4j (Java)", Long.parseLong(run[1]), Double.parseDouble(run[3]), c[0], c[1],
                result[0], s.perf ? result[3] : c[1], result[2] / 1e9);
    }

    static Trial trialC(Scenario s, Path ringbench, Path pin, int pages, Callable<String[]> producer,
                        BpfMap counters) throws Exception {
        RingBufBench.reset(counters);
        List<String> cmd = new ArrayList<>(List.of("taskset", "-c", "1", ringbench.toString()));
        if (s.perf) cmd.addAll(List.of("consume-perf", pin.toString(), Integer.toString(pages)));
        else cmd.addAll(List.of("consume", pin.toString()));
        Process consumer = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(consumer.getInputStream()));
        String ready = out.readLine();
        if (!"ready".equals(ready)) throw new IOException("ringbench consume did not start: " + ready);
        String[] run = producer.call();
        Thread.sleep(200);
        consumer.toHandle().destroy();
        String[] line = out.readLine().split(" ");
        String[] cpu = out.readLine().split(" ");
        long lost = s.perf ? Long.parseLong(out.readLine().split(" ")[1]) : -1;
        consumer.waitFor();
        long[] c = RingBufBench.counters(counters);
        return new Trial(s, "libbpf (C)", Long.parseLong(run[1]), Double.parseDouble(run[3]), c[0], c[1],
                Long.parseLong(line[1]), s.perf ? lost : c[1], Double.parseDouble(cpu[1]));
    }

    static Trial report(Trial t) {
        System.out.printf(Locale.ROOT, "%-13s runs %,d in %.2f s; program attempts %,d, refused %,d; received %,d; "
                        + "%s; unaccounted %d; consumer CPU %.2f s%n", t.consumer(), t.calls(),
                t.seconds(), t.attempts(), t.refused(), t.received(), t.scenario().perf
                        ? String.format(Locale.ROOT, "consumer-reported lost %,d", t.reportedLost())
                        : "(ring buffer: no consumer-side loss report)", t.unaccounted(),
                t.consumerCpuSeconds());
        return t;
    }

    static void table(List<Trial> trials, double seconds, int ringBytes, int pages, int rounds, int repeat,
                      int calls) {
        System.out.printf(Locale.ROOT, "64-byte records; ring buffer %d KiB; perf buffer %d pages (%d KiB) per CPU, "
                        + "wake-up every sample; producer on CPU 0, consumer on CPU 1; %d rounds; flood: %.0f s per "
                        + "trial; burst: %d BPF_PROG_TEST_RUN call(s) of repeat %,d per trial%n", ringBytes / 1024,
                pages, pages * 4, rounds, seconds, calls, repeat);
        System.out.println("means over the rounds; lost = the program's failed output calls, summed over the rounds"
                + " (exact; attempts - lost - received = unaccounted must be 0)");
        System.out.println();
        System.out.println("| scenario | consumer | events/s (received) | lost | lost % | unaccounted | consumer CPU % "
                + "| CPU ns/event |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
        List<String> ratios = new ArrayList<>(), notes = new ArrayList<>();
        for (Scenario s : Scenario.values()) {
            double[] eps = new double[2], cpuPct = new double[2], nsEv = new double[2];
            long[] lost = new long[2];
            String[] names = {"libbpf (C)", "bpf4j (Java)"};
            for (int i = 0; i < 2; i++) {
                String name = names[i];
                List<Trial> ts = trials.stream().filter(t -> t.scenario() == s && t.consumer().equals(name)).toList();
                eps[i] = ts.stream().mapToDouble(Trial::eventsPerSecond).average().orElse(Double.NaN);
                cpuPct[i] = ts.stream().mapToDouble(t -> 100 * t.consumerCpuSeconds() / t.seconds()).average()
                        .orElse(Double.NaN);
                nsEv[i] = ts.stream().mapToDouble(Trial::cpuNsPerEvent).average().orElse(Double.NaN);
                lost[i] = ts.stream().mapToLong(Trial::refused).sum();
                long attempts = ts.stream().mapToLong(Trial::attempts).sum();
                long unaccounted = ts.stream().mapToLong(Trial::unaccounted).sum();
                System.out.printf(Locale.ROOT, "| %s | %s | %,.0f | %,d | %.2f | %d | %.1f | %.0f |%n", s.label, name,
                        eps[i], lost[i], attempts == 0 ? 0.0 : 100.0 * lost[i] / attempts, unaccounted, cpuPct[i],
                        nsEv[i]);
            }
            ratios.add(String.format(Locale.ROOT, "| %s | %.3f | %.2f | %.2f |", s.label, eps[1] / eps[0],
                    cpuPct[1] / cpuPct[0], nsEv[1] / nsEv[0]));
            if (lost[1] > 0 && lost[0] == 0) {
                notes.add(s.label + ": bpf4j LOST " + String.format(Locale.ROOT, "%,d", lost[1])
                        + " events where libbpf lost none");
            } else if (lost[1] == 0 && lost[0] > 0) {
                notes.add(s.label + ": libbpf lost " + String.format(Locale.ROOT, "%,d", lost[0])
                        + " events where bpf4j lost none");
            } else {
                notes.add(s.label + ": " + (lost[0] == 0 ? "neither lost events"
                        : String.format(Locale.ROOT, "both lost events (libbpf %,d, bpf4j %,d)", lost[0], lost[1])));
            }
        }
        System.out.println();
        System.out.println("| scenario | events/s bpf4j/libbpf | consumer CPU % bpf4j/libbpf | CPU ns/event bpf4j/libbpf |");
        System.out.println("|---|---:|---:|---:|");
        ratios.forEach(System.out::println);
        System.out.println();
        System.out.println("lost events:");
        notes.forEach(n -> System.out.println("  " + n));
    }
}
