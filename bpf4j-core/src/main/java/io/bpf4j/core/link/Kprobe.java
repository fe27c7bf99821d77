package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.PerfEventAttr;
import io.bpf4j.core.kernel.Fd;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.ProgramType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Attaches kprobe programs ({@link ProgramType#KPROBE}) to the entry (kprobe) or return (kretprobe) of a kernel
 * function through the kprobe PMU ({@code perf_event_open} with the type from
 * {@code /sys/bus/event_source/devices/kprobe/type} and the function name in config1), then a BPF link on the
 * perf event. Needs CONFIG_KPROBES (and CONFIG_KPROBE_EVENTS); where the kernel lacks them {@link #attach} throws
 * with the reason {@link Features} found, e.g. {@code kprobe: unavailable — CONFIG_KPROBES is not set}.
 */
public final class Kprobe {
    private static final Path PMU = Path.of("/sys/bus/event_source/devices/kprobe");

    private Kprobe() {
    }

    /**
     * The name of the kernel function that implements system call {@code name} on this architecture, as kprobes
     * need it: {@code syscall("openat")} is {@code __x64_sys_openat} on x86-64, {@code __arm64_sys_openat} on arm64.
     */
    public static String syscall(String name) {
        String arch = System.getProperty("os.arch");
        String prefix = switch (arch) {
            case "amd64", "x86_64" -> "__x64_sys_";
            case "aarch64" -> "__arm64_sys_";
            case "riscv64" -> "__riscv_sys_";
            case "s390x" -> "__s390x_sys_";
            default -> "sys_";
        };
        return prefix + name;
    }

    /** Attaches {@code program} at the entry of kernel function {@code function}. */
    public static Link attach(Program program, String function) {
        return attach(program, function, false);
    }

    /**
     * Attaches {@code program} to kernel function {@code function}: at its entry, or at its return when
     * {@code retprobe}.
     *
     * @throws BpfException when this kernel has no kprobes (the message says why) or refuses this function
     */
    public static Link attach(Program program, String function, boolean retprobe) {
        if (program.type() != ProgramType.KPROBE) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", not kprobe");
        }
        String what = (retprobe ? "kretprobe '" : "kprobe '") + program.name() + "' on " + function;
        int type = pmuType(what);
        Fd perf = open(type, function, retprobe, what);
        try {
            return PerfLinks.attach(program, perf, 0, what);
        } catch (RuntimeException e) {
            perf.close();
            throw e;
        }
    }

    /** Whether this kernel has the kprobe PMU, and if not, why (from {@link Probes}). */
    public static Probe availability() {
        return Probes.kprobe();
    }

    private static int pmuType(String what) {
        Path file = PMU.resolve("type");
        if (!Files.isReadable(file)) {
            Probe p = availability();
            String why = p.available() ? "no kprobe PMU (" + PMU + "); " + p : p + " (no " + PMU + ")";
            throw new BpfException("perf_event_open", Errno.EOPNOTSUPP.code(), what + " failed: " + why);
        }
        try {
            return Integer.parseInt(Files.readString(file).strip());
        } catch (IOException | NumberFormatException e) {
            throw new BpfException("perf_event_open", 0, what + " failed: cannot read " + file + ": " + e, e);
        }
    }

    /** The bit of config that selects a return probe, from the PMU's format/retprobe ("config:0"). */
    private static int retprobeBit() {
        try {
            String f = Files.readString(PMU.resolve("format/retprobe")).strip();
            return Integer.parseInt(f.substring(f.indexOf(':') + 1).split("-")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static Fd open(int type, String function, boolean retprobe, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = PerfEventAttr.allocate(arena, type, retprobe ? 1L << retprobeBit() : 0);
            attr.set(JAVA_LONG, PerfEventAttr.CONFIG1, arena.allocateFrom(function).address()); // kprobe_func
            attr.set(JAVA_LONG, PerfEventAttr.CONFIG2, 0); // probe_offset
            attr.set(JAVA_LONG, PerfEventAttr.SAMPLE_PERIOD, 1);
            attr.set(JAVA_INT, PerfEventAttr.WAKEUP_EVENTS, 1);
            int fd = PerfEventAttr.open(attr, -1, 0, -1, PerfEventAttr.FLAG_FD_CLOEXEC);
            if (fd < 0) {
                String hint = switch (Errno.of(-fd)) {
                    case ENOENT, EINVAL -> "no kernel function '" + function + "' can be probed (see "
                            + "/proc/kallsyms; it may be inlined, static or blacklisted)";
                    case EPERM, EACCES -> "kprobes need root or CAP_PERFMON; under lockdown they may be refused";
                    default -> null;
                };
                throw new BpfException("perf_event_open", -fd, Bpf.message("perf_event_open for " + what, -fd, hint));
            }
            return Fd.adopt(fd);
        }
    }
}
