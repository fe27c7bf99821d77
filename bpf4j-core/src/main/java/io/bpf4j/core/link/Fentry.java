package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;

import java.util.OptionalInt;

/**
 * fentry/fexit programs: BPF trampolines at the entry or exit of a kernel function, with typed arguments (type
 * {@link ProgramType#TRACING}, expected attach type {@link AttachType#TRACE_FENTRY} or
 * {@link AttachType#TRACE_FEXIT}, attach BTF id = the function in kernel BTF). The target is fixed at load time;
 * {@link #attach(Program)} then opens the BPF link (BPF_RAW_TRACEPOINT_OPEN). Kernels under lockdown
 * ({@code integrity}) or without CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS refuse the load; {@link #load} then throws
 * with the reason {@link Features} found ({@code fentry: unavailable — program load refused with EPERM (lockdown:
 * integrity)}).
 */
public final class Fentry {
    private Fentry() {
    }

    /** A spec for a program running at the entry ({@code exit} false) or exit of kernel function {@code function}. */
    public static ProgramSpec spec(String name, String function, boolean exit, Instructions instructions) {
        return ProgramSpec.of(name, ProgramType.TRACING, instructions)
                .withExpectedAttachType(exit ? AttachType.TRACE_FEXIT : AttachType.TRACE_FENTRY)
                .withAttachBtf(kernelFunction(function, exit ? "fexit" : "fentry"), 0);
    }

    /**
     * Loads a fentry/fexit spec; when the kernel refuses with EPERM or ENOTSUPP, the exception says why (lockdown,
     * missing trampoline support) in {@link Features}' words.
     */
    public static Program load(ProgramSpec spec) {
        boolean exit = spec.expectedAttachType().orElse(null) == AttachType.TRACE_FEXIT;
        return loadExplained(spec, exit ? Probes.fexit() : Probes.fentry());
    }

    /** Attaches a loaded fentry/fexit program to the function it was loaded for. */
    public static Link attach(Program program) {
        if (program.type() != ProgramType.TRACING) {
            throw new IllegalArgumentException("program '" + program.name() + "' is " + program.type().displayName()
                    + ", not tracing (fentry/fexit)");
        }
        return RawTracepoint.attach(program);
    }

    /** Whether fentry programs load here, and if not, why. */
    public static Probe availability() {
        return Probes.fentry();
    }

    static int kernelFunction(String function, String kind) {
        Btf vmlinux = KernelBtf.vmlinux();
        if (vmlinux == null) {
            throw new IllegalStateException(kind + " needs kernel BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF)");
        }
        OptionalInt id = vmlinux.typeId(function, BtfKind.FUNC);
        if (id.isEmpty()) {
            throw new IllegalArgumentException("no kernel function '" + function + "' in kernel BTF: " + kind
                    + " cannot attach to it (static, inlined or not traceable?)");
        }
        return id.getAsInt();
    }

    static Program loadExplained(ProgramSpec spec, Probe probe) {
        try {
            return Program.load(spec);
        } catch (BpfException e) {
            if (!probe.available() && (e.is(Errno.EPERM) || e.is(Errno.ENOTSUPP) || e.is(Errno.EOPNOTSUPP)
                    || e.is(Errno.EINVAL))) {
                throw new BpfException(e.operation(), e.errnoCode(), "loading '" + spec.name() + "' failed: " + probe
                        + " [" + e.getMessage() + "]", e);
            }
            throw e;
        }
    }
}
