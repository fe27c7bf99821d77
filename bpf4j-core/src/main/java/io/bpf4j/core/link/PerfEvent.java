package io.bpf4j.core.link;

import io.bpf4j.core.Cpus;
import io.bpf4j.core.Program;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.PerfEventAttr;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.object.ProgramType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Attaches perf_event programs ({@link ProgramType#PERF_EVENT}) to sampling perf events: a software clock
 * ({@code cpu-clock}, {@code task-clock}, …) or a hardware counter ({@code cycles}, {@code instructions}, …),
 * sampled at a frequency (samples per second) or every N events — what {@code profile} and {@code perf record -F 99}
 * do. One perf event and one BPF link (BPF_LINK_CREATE with BPF_PERF_EVENT) are made per online CPU; the returned
 * {@link Attachment} owns them all.
 *
 * <pre>{@code
 * try (PerfEvent.Attachment a = PerfEvent.attach(prog, PerfEvent.Spec.software(PerfEvent.Software.CPU_CLOCK)
 *         .frequency(99))) {
 *     Thread.sleep(1000);
 * }
 * }</pre>
 */
public final class PerfEvent {
    private PerfEvent() {
    }

    /** {@code enum perf_sw_ids}: the kernel's software events, present on every machine. */
    public enum Software {
        CPU_CLOCK(0, "cpu-clock"), TASK_CLOCK(1, "task-clock"), PAGE_FAULTS(2, "page-faults"),
        CONTEXT_SWITCHES(3, "context-switches"), CPU_MIGRATIONS(4, "cpu-migrations"),
        PAGE_FAULTS_MIN(5, "minor-faults"), PAGE_FAULTS_MAJ(6, "major-faults"),
        ALIGNMENT_FAULTS(7, "alignment-faults"), EMULATION_FAULTS(8, "emulation-faults"), DUMMY(9, "dummy");

        private final long config;
        private final String perfName;

        Software(long config, String perfName) {
            this.config = config;
            this.perfName = perfName;
        }

        /** The name {@code perf list} shows, e.g. {@code cpu-clock}. */
        public String perfName() {
            return perfName;
        }
    }

    /** {@code enum perf_hw_id}: generalized hardware counters (need a hardware PMU: absent in most VMs). */
    public enum Hardware {
        CPU_CYCLES(0, "cycles"), INSTRUCTIONS(1, "instructions"), CACHE_REFERENCES(2, "cache-references"),
        CACHE_MISSES(3, "cache-misses"), BRANCH_INSTRUCTIONS(4, "branch-instructions"),
        BRANCH_MISSES(5, "branch-misses"), BUS_CYCLES(6, "bus-cycles"),
        STALLED_CYCLES_FRONTEND(7, "stalled-cycles-frontend"), STALLED_CYCLES_BACKEND(8, "stalled-cycles-backend"),
        REF_CPU_CYCLES(9, "ref-cycles");

        private final long config;
        private final String perfName;

        Hardware(long config, String perfName) {
            this.config = config;
            this.perfName = perfName;
        }

        /** The name {@code perf list} shows, e.g. {@code cycles}. */
        public String perfName() {
            return perfName;
        }
    }

    /**
     * What to sample and how often. Build with {@link #software} or {@link #hardware}, then {@link #frequency}
     * or {@link #period} and optionally {@link #pid} and {@link #cpus}. The default is 99 samples per second, all
     * processes, every online CPU.
     *
     * @param type      perf type (PERF_TYPE_SOFTWARE 1, PERF_TYPE_HARDWARE 0)
     * @param config    the event within the type
     * @param name      the event's perf name, for messages
     * @param rate      samples per second when {@code freq}, else events per sample
     * @param freq      whether {@code rate} is a frequency
     * @param pid       the thread to sample (perf_event_open's pid: a thread id; for a single-threaded process its
     *                  pid), or -1 for every process. To sample all threads of a multi-threaded process, use -1
     *                  and compare {@code bpf_get_current_pid_tgid() >> 32} in the program, as bcc's profile does
     * @param cpus      the CPUs to open the event on; empty means every CPU online at attach time
     */
    public record Spec(int type, long config, String name, long rate, boolean freq, int pid, List<Integer> cpus) {
        public Spec {
            Objects.requireNonNull(name, "name");
            if (rate <= 0) throw new IllegalArgumentException((freq ? "frequency" : "period") + " must be > 0, got "
                    + rate);
            if (pid < -1) throw new IllegalArgumentException("pid must be -1 (all) or a process id, got " + pid);
            cpus = List.copyOf(cpus);
        }

        /** A software event sampled 99 times a second on every CPU. */
        public static Spec software(Software event) {
            return new Spec(PerfEventAttr.TYPE_SOFTWARE, event.config, event.perfName, 99, true, -1, List.of());
        }

        /** A hardware event sampled 99 times a second on every CPU. */
        public static Spec hardware(Hardware event) {
            return new Spec(PerfEventAttr.TYPE_HARDWARE, event.config, event.perfName, 99, true, -1, List.of());
        }

        /** Samples {@code hz} times a second (the kernel adjusts the period to reach it; capped by perf_event_max_sample_rate). */
        public Spec frequency(long hz) {
            return new Spec(type, config, name, hz, true, pid, cpus);
        }

        /** Samples once every {@code events} events (for cpu-clock: nanoseconds). */
        public Spec period(long events) {
            return new Spec(type, config, name, events, false, pid, cpus);
        }

        /** Samples only thread {@code pid} (-1: everything; see the record's pid parameter for threads). */
        public Spec pid(int pid) {
            return new Spec(type, config, name, rate, freq, pid, cpus);
        }

        /** Opens the event on these CPUs only. */
        public Spec cpus(List<Integer> cpus) {
            return new Spec(type, config, name, rate, freq, pid, cpus);
        }

        @Override
        public String toString() {
            return name + (freq ? " @" + rate + " Hz" : " every " + rate) + (pid == -1 ? "" : " pid " + pid);
        }
    }

    /** The perf events and BPF links of one {@link #attach}: one {@link Link} per CPU. Closing it detaches all. */
    public static final class Attachment implements AutoCloseable {
        private final List<Link> links;
        private final String description;

        Attachment(List<Link> links, String description) {
            this.links = List.copyOf(links);
            this.description = description;
        }

        /** One link per CPU, in CPU order. */
        public List<Link> links() {
            return links;
        }

        /** What is attached where. */
        public String description() {
            return description;
        }

        /** Closes every link and perf event. */
        @Override
        public void close() {
            RuntimeException first = null;
            for (Link l : links) {
                try {
                    l.close();
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
            if (first != null) throw first;
        }

        @Override
        public String toString() {
            return "PerfEvent.Attachment[" + description + ", " + links.size() + " CPUs]";
        }
    }

    /**
     * Attaches {@code program} to the event {@code spec} on every CPU (or the spec's CPUs).
     *
     * @throws IllegalArgumentException when the program is not a perf_event program
     * @throws BpfException             when the kernel refuses the event (for hardware events without a PMU, the
     *                                  message says "no hardware PMU (virtual machine?)") or the link
     */
    public static Attachment attach(Program program, Spec spec) {
        if (program.type() != ProgramType.PERF_EVENT) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", but only perf_event programs attach to perf events");
        }
        List<Integer> cpus = spec.cpus().isEmpty() ? Cpus.online() : spec.cpus();
        String what = "perf_event '" + program.name() + "' on " + spec;
        List<Link> links = new ArrayList<>(cpus.size());
        try {
            for (int cpu : cpus) {
                String one = what + " cpu " + cpu;
                Fd perf = open(spec, cpu, one);
                try {
                    links.add(PerfLinks.attach(program, perf, 0, one));
                } catch (RuntimeException e) {
                    perf.close();
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            for (Link l : links) l.close();
            throw e;
        }
        return new Attachment(links, what + " (" + cpus.size() + " CPUs)");
    }

    private static Fd open(Spec spec, int cpu, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfEventAttr.allocate(arena, spec.type(), spec.config());
            attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, spec.rate());
            if (spec.freq()) attr.set(JAVA_LONG, PerfEventAttr.FLAGS, PerfEventAttr.FLAG_FREQ);
            int fd = PerfEventAttr.open(attr, spec.pid(), cpu, -1, 0);
            if (fd < 0) throw openFailure(spec, cpu, -fd, what);
            return Fd.adopt(fd);
        }
    }

    static BpfException openFailure(Spec spec, int cpu, int errno, String what) {
        Errno e = Errno.of(errno);
        boolean hw = spec.type() == PerfEventAttr.TYPE_HARDWARE;
        String hint;
        if (hw && (e == Errno.ENOENT || e == Errno.EOPNOTSUPP || e == Errno.ENODEV || e == Errno.EINVAL)) {
            hint = Files.isDirectory(Path.of("/sys/bus/event_source/devices/cpu"))
                    ? "the CPU's PMU does not count '" + spec.name() + "'"
                    : "no hardware PMU (virtual machine?): /sys/bus/event_source/devices has no 'cpu' PMU, so "
                    + "hardware events such as '" + spec.name() + "' cannot be counted here; sample a software "
                    + "event instead (cpu-clock)";
        } else {
            hint = switch (e) {
                case EACCES, EPERM -> "sampling all processes or CPUs needs root or CAP_PERFMON "
                        + "(see /proc/sys/kernel/perf_event_paranoid)";
                case ESRCH -> "there is no process " + spec.pid();
                case ENODEV, ENXIO -> "CPU " + cpu + " is offline or does not exist";
                case EINVAL -> spec.freq() ? "the frequency " + spec.rate() + " Hz may exceed "
                        + "/proc/sys/kernel/perf_event_max_sample_rate" : null;
                default -> null;
            };
        }
        return new BpfException("perf_event_open", errno, Bpf.message("perf_event_open for " + what, errno, hint));
    }
}
