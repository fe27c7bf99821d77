package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.object.AttachType;

import java.util.List;

/**
 * Attaches a kprobe program to many kernel functions through one BPF link (BPF_TRACE_KPROBE_MULTI, Linux 5.18+;
 * needs CONFIG_FPROBE). Load the program with expected attach type {@link AttachType#TRACE_KPROBE_MULTI}.
 */
public final class KprobeMulti {
    /** BPF_F_KPROBE_MULTI_RETURN: run at function return (a kretprobe) instead of entry. */
    public static final int F_RETURN = 1;

    private KprobeMulti() {
    }

    /** Attaches {@code program} at the entry of each kernel function in {@code symbols}. */
    public static Link attach(Program program, String... symbols) {
        return attach(program, List.of(symbols), 0);
    }

    /**
     * Attaches {@code program} to the kernel functions {@code symbols}.
     *
     * @param flags 0 for entry, {@link #F_RETURN} for return
     * @throws io.bpf4j.core.error.BpfException
     *         when the kernel refuses: EOPNOTSUPP without fprobe support, ENOENT for an
     *         unknown function, EPERM under lockdown…
     */
    public static Link attach(Program program, List<String> symbols, int flags) {
        if (symbols.isEmpty()) throw new IllegalArgumentException("kprobe_multi needs at least one function");
        String what = "kprobe_multi '" + program.name() + "' on " + (symbols.size() == 1 ? symbols.getFirst()
                : symbols.size() + " functions (" + symbols.getFirst() + ", …)");
        return new Link(Bpf.linkCreateKprobeMulti(program.fd(), AttachType.TRACE_KPROBE_MULTI.code(), flags,
                symbols, what), what);
    }
}
