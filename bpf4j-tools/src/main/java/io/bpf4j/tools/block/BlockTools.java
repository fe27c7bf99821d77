package io.bpf4j.tools.block;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe block I/O, in the order {@code bpf4j --help} lists them. */
public final class BlockTools {
    private BlockTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Biolatency.class);
}
