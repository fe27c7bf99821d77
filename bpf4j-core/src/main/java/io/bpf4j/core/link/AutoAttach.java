package io.bpf4j.core.link;

import io.bpf4j.core.ObjectProgram;
import io.bpf4j.core.Program;
import io.bpf4j.core.ProgramType;

import java.util.Optional;

/**
 * Attaches a program of a loaded object where its section name says, as libbpf's auto-attach does:
 * {@code tracepoint/<category>/<name>} and {@code tp/…}, {@code raw_tp/<name>} and {@code raw_tracepoint/…},
 * {@code tp_btf/<name>}. Sections that name no target (xdp, tc, socket, cgroup…) need one from the user.
 */
public final class AutoAttach {
    private AutoAttach() {
    }

    /**
     * Attaches {@code program}, loaded from {@code spec}, to the hook its section names.
     *
     * @return the link, or empty when the section names no target this can attach to (see {@link #why})
     */
    public static Optional<Link> attach(ObjectProgram spec, Program program) {
        String target = spec.attachTarget();
        return switch (spec.type()) {
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

    /** Why {@link #attach} does not attach {@code spec}: what the user must give instead. */
    public static String why(ObjectProgram spec) {
        return switch (spec.type()) {
            case XDP, SCHED_CLS, SCHED_ACT -> "section '" + spec.sectionName() + "' names no network interface";
            case KPROBE -> "kprobes and uprobes are attached by the tools (this kernel has no kprobes)";
            case TRACING -> "fentry/fexit/LSM programs are not attached automatically yet";
            case ProgramType t when t.name().startsWith("CGROUP") ->
                    "section '" + spec.sectionName() + "' names no cgroup";
            default -> "section '" + spec.sectionName() + "' names no target to attach to";
        };
    }
}
