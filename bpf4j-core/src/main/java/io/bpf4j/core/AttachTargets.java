package io.bpf4j.core;

import io.bpf4j.core.btf.BtfException;
import io.bpf4j.core.btf.BtfKind;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.kernel.Probes;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;

import java.util.Optional;

/**
 * The kernel BTF ids of the targets BTF-attached programs name in their section, looked up as libbpf does
 * ({@code find_attach_btf_id}), vmlinux first and then the modules; {@code module:name} restricts the search to one
 * module:
 *
 * <table>
 *   <caption>section → kernel BTF type</caption>
 *   <tr><th>section</th><th>looks up</th></tr>
 *   <tr><td>{@code tp_btf/<tracepoint>}</td><td>TYPEDEF {@code btf_trace_<tracepoint>}</td></tr>
 *   <tr><td>{@code fentry/…}, {@code fexit/…}, {@code fmod_ret/…} (and {@code .s})</td><td>FUNC {@code <function>}</td></tr>
 *   <tr><td>{@code lsm/<hook>}, {@code lsm.s/…}, {@code lsm_cgroup/…}</td><td>FUNC {@code bpf_lsm_<hook>}</td></tr>
 *   <tr><td>{@code iter/<name>}, {@code iter.s/…}</td><td>FUNC {@code bpf_iter_<name>}</td></tr>
 * </table>
 *
 * <p>{@code freplace} programs replace a function of another loaded program, which the object cannot name; they
 * are refused with that explanation.
 */
final class AttachTargets {
    private AttachTargets() {
    }

    /** The kernel BTF type a program's section names: its kind and name. */
    record Target(BtfKind kind, String name, String module) {
    }

    /** Whether {@code p} needs an attach BTF id to load. */
    static boolean needsTarget(ObjectProgram p) {
        if (p.type() == ProgramType.EXT) return true;
        if (p.expectedAttachType().isEmpty()) return false;
        return switch (p.expectedAttachType().get()) {
            case TRACE_RAW_TP, TRACE_FENTRY, TRACE_FEXIT, MODIFY_RETURN, TRACE_ITER, LSM_MAC, LSM_CGROUP ->
                    p.type() == ProgramType.TRACING || p.type() == ProgramType.LSM;
            default -> false;
        };
    }

    /** The BTF type {@code p}'s section names, empty for programs that attach otherwise. */
    static Optional<Target> target(ObjectProgram p) {
        if (!needsTarget(p) || p.type() == ProgramType.EXT) return Optional.empty();
        String name = p.attachTarget();
        String module = "";
        int colon = name.indexOf(':');
        if (colon >= 0) {
            module = name.substring(0, colon);
            name = name.substring(colon + 1);
        }
        return Optional.of(switch (p.expectedAttachType().orElseThrow()) {
            case TRACE_RAW_TP -> new Target(BtfKind.TYPEDEF, "btf_trace_" + name, module);
            case LSM_MAC, LSM_CGROUP -> new Target(BtfKind.FUNC, "bpf_lsm_" + name, module);
            case TRACE_ITER -> new Target(BtfKind.FUNC, "bpf_iter_" + name, module);
            default -> new Target(BtfKind.FUNC, name, module);
        });
    }

    /**
     * {@code spec} with the attach BTF id (and module BTF fd) of {@code p}'s target; {@code spec} itself for
     * programs that need none.
     *
     * @throws BpfException naming the target when the section has none or the kernel's BTF lacks it
     */
    static ProgramSpec apply(ObjectProgram p, ProgramSpec spec) {
        if (!needsTarget(p)) return spec;
        String what = "program '" + p.name() + "' (SEC(\"" + p.sectionName() + "\"))";
        if (p.type() == ProgramType.EXT) {
            throw new BpfException("BPF_PROG_LOAD", 0, what + " replaces a function of another loaded program "
                    + "(freplace), which the object cannot name; bpf4j does not set freplace targets yet");
        }
        if (p.attachTarget().isEmpty()) {
            throw new BpfException("BPF_PROG_LOAD", 0, what + " names no attach target: write the section as "
                    + "\"" + p.sectionName().replaceFirst("^\\?", "") + "/<target>\"");
        }
        Target t = target(p).orElseThrow();
        Optional<KernelTypes.Found> found;
        try {
            found = KernelTypes.find(t.name(), t.kind(), t.module());
        } catch (BtfException e) {
            throw new BpfException("BPF_PROG_LOAD", 0, what + " attaches to '" + p.attachTarget()
                    + "', which needs the kernel's BTF: " + e.getMessage(), e);
        }
        if (found.isEmpty()) {
            throw new BpfException("BPF_PROG_LOAD", 0, what + ": attach target '" + p.attachTarget()
                    + "' not found: the kernel's BTF (" + (t.module().isEmpty() ? "vmlinux and modules"
                    : "module '" + t.module() + "'") + ") has no " + t.kind() + " '" + t.name() + "'"
                    + hint(p));
        }
        return spec.withAttachBtf(found.get().id(), found.get().objFd());
    }

    private static String hint(ObjectProgram p) {
        return switch (p.expectedAttachType().orElseThrow()) {
            case TRACE_RAW_TP -> " (is the tracepoint name spelled right? `bpf4j btf dump` or "
                    + "/sys/kernel/tracing/available_events list them)";
            case LSM_MAC, LSM_CGROUP -> " (LSM hooks need CONFIG_BPF_LSM; is the hook name right?)";
            case TRACE_ITER -> " (no such BPF iterator in this kernel)";
            default -> " (is the function name right? inlined or static functions may have no BTF entry)";
        };
    }

    /**
     * Loads {@code spec}; when the kernel refuses a trampoline or LSM program with EPERM, the exception says that
     * this kernel refuses that kind of program, with the feature probe's reason.
     */
    static Program load(ObjectProgram p, ProgramSpec spec) {
        try {
            return Program.load(spec);
        } catch (BpfException e) {
            if (!e.is(Errno.EPERM) || e instanceof VerifierException) throw e;
            String hook = p.expectedAttachType().map(t -> switch (t) {
                case TRACE_FENTRY -> "fentry";
                case TRACE_FEXIT, MODIFY_RETURN -> "fexit";
                case LSM_MAC, LSM_CGROUP -> "lsm";
                default -> null;
            }).orElse(null);
            if (hook == null) throw e;
            String kind = p.sectionName().replaceFirst("^\\?", "").replaceFirst("/.*", "");
            String reason;
            try {
                Probe probe = switch (hook) {
                    case "fentry" -> Probes.fentry();
                    case "fexit" -> Probes.fexit();
                    default -> Probes.lsm();
                };
                reason = probe.available() ? "the feature probe loads " + hook + " programs, so "
                        + "this target is refused: " : "this kernel refuses " + hook + " programs ("
                        + probe.reason() + "): ";
            } catch (RuntimeException probeFailure) {
                reason = "this kernel refuses " + hook + " programs: ";
            }
            BpfException explained = new BpfException(e.operation(), e.errnoCode(), "program '" + p.name()
                    + "' (" + kind + " on '" + p.attachTarget() + "'): " + reason + e.getMessage(), e);
            throw explained;
        }
    }
}
