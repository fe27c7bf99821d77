package io.bpf4j.tools.jvm;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe JVMs, in the order {@code bpf4j --help} lists them. */
public final class JvmTools {
    private JvmTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Javagc.class);
}
