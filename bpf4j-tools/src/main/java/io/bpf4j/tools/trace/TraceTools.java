package io.bpf4j.tools.trace;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe any tracepoint, uprobe or USDT probe, in the order {@code bpf4j --help} lists them. */
public final class TraceTools {
    private TraceTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Trace.class, Argdist.class);
}
