package io.bpf4j.tools.cpu;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe stacks and CPU profiles, in the order {@code bpf4j --help} lists them. */
public final class CpuTools {
    private CpuTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Profile.class, Offcputime.class,
            Stackcount.class);
}
