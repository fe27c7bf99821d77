package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfAttr;
import io.bpf4j.core.internal.BpfCommand;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_INT, BpfAttr.RawTracepoint.PROG_FD, program.fd());
            return new Link(Bpf.call(BpfCommand.RAW_TRACEPOINT_OPEN, attr, () -> what), what);
        }
    }

    /** Attaches {@code program} (type raw_tracepoint) to the tracepoint {@code name}, e.g. "sys_enter". */
    public static Link attach(Program program, String name) {
        String what = "raw_tp '" + program.name() + "' on " + name;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, BpfAttr.RawTracepoint.NAME, arena.allocateFrom(name).address());
            attr.set(JAVA_INT, BpfAttr.RawTracepoint.PROG_FD, program.fd());
            return new Link(Bpf.call(BpfCommand.RAW_TRACEPOINT_OPEN, attr, () -> what), what);
        }
    }
}
