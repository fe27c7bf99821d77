package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.internal.Bpf;

/**
 * Attaches raw tracepoint programs (BPF_RAW_TRACEPOINT_OPEN): the program sees the tracepoint's raw
 * arguments, without the perf-event overhead of classic tracepoints, and the attachment is a BPF link.
 */
public final class RawTracepoint {
    private RawTracepoint() {
    }

    /**
     * Attaches a BTF-typed program (tp_btf, fentry, fexit, fmod_ret, lsm: type tracing or lsm) to the target it was
     * loaded for (its attach BTF id): BPF_RAW_TRACEPOINT_OPEN without a name.
     */
    public static Link attach(Program program) {
        String what = program.type().displayName() + " '" + program.name() + "'";
        return new Link(Bpf.rawTracepointOpen(program.fd(), null, what), what);
    }

    /** Attaches {@code program} (type raw_tracepoint) to the tracepoint {@code name}, e.g. "sys_enter". */
    public static Link attach(Program program, String name) {
        String what = "raw_tp '" + program.name() + "' on " + name;
        return new Link(Bpf.rawTracepointOpen(program.fd(), name, what), what);
    }
}
