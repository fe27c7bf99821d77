package io.bpf4j.tools.mem;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe memory allocation, in the order {@code bpf4j --help} lists them. */
public final class MemTools {
    private MemTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Memleak.class, Kmemtrace.class);
}
