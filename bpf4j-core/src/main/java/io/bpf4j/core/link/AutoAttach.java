package io.bpf4j.core.link;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Program;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ProgramType;

import java.util.Optional;

/**
 * Attaches a program of a loaded object where its section name says, as libbpf's auto-attach does:
 * {@code tracepoint/<category>/<name>} and {@code tp/…}, {@code raw_tp/<name>} and {@code raw_tracepoint/…},
 * {@code tp_btf/<name>}, {@code uprobe/<binary>:<function>} and {@code uretprobe/…}, and
 * {@code usdt/<binary>:<provider>:<name>}. Sections that name no target (xdp, tc, socket, cgroup…) need one
 * from the user.
 */
public final class AutoAttach {
    private AutoAttach() {
    }

    /**
     * Attaches the program {@code spec} describes, loaded in {@code object}, to the hook its section names.
     *
     * @return the link, or empty when the section names no target this can attach to (see {@link #why}) or the
     *         program was not loaded
     */
    public static Optional<Link> attach(BpfObject object, ObjectProgram spec) {
        Program program = object.programs().get(spec.name());
        if (program == null) return Optional.empty();
        String target = spec.attachTarget();
        String section = spec.sectionName();
        return switch (spec.type()) {
            case KPROBE -> userProbe(object, program, section, target);
            case TRACEPOINT -> {
                int slash = target.indexOf('/');
                if (slash <= 0) yield Optional.empty();
                yield Optional.of(Tracepoint.attach(program, target.substring(0, slash), target.substring(slash + 1)));
            }
            case RAW_TRACEPOINT, RAW_TRACEPOINT_WRITABLE ->
                    target.isEmpty() ? Optional.empty() : Optional.of(RawTracepoint.attach(program, target));
            case TRACING -> spec.sectionName().startsWith("tp_btf/")
                    ? Optional.of(RawTracepoint.attach(program)) : Optional.empty();
            default -> Optional.empty();
        };
    }

    /** uprobe/BINARY:FUNCTION, uretprobe/…, usdt/BINARY:PROVIDER:NAME; kprobes are not attached automatically. */
    private static Optional<Link> userProbe(BpfObject object, Program program, String section, String target) {
        if (section.startsWith("usdt") && !target.isEmpty()) {
            return Optional.of(Usdt.attach(object, program, target, -1));
        }
        if (!target.contains(":")) return Optional.empty();
        if (section.startsWith("uprobe")) return Optional.of(Uprobe.attach(program, target, false, -1));
        if (section.startsWith("uretprobe")) return Optional.of(Uprobe.attach(program, target, true, -1));
        return Optional.empty();
    }

    /** Why {@link #attach} does not attach {@code spec}: what the user must give instead. */
    public static String why(ObjectProgram spec) {
        return switch (spec.type()) {
            case XDP, SCHED_CLS, SCHED_ACT -> "section '" + spec.sectionName() + "' names no network interface";
            case KPROBE -> spec.sectionName().startsWith("k")
                    ? "kprobes are not attached automatically (and this kernel has none)"
                    : "section '" + spec.sectionName() + "' names no binary and function (uprobe/BINARY:FUNCTION)";
            case TRACING -> "fentry/fexit/LSM programs are not attached automatically yet";
            case ProgramType t when t.name().startsWith("CGROUP") ->
                    "section '" + spec.sectionName() + "' names no cgroup";
            default -> "section '" + spec.sectionName() + "' names no target to attach to";
        };
    }
}
