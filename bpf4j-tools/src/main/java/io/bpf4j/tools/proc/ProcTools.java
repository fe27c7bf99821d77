package io.bpf4j.tools.proc;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe processes, in the order {@code bpf4j --help} lists them. */
public final class ProcTools {
    private ProcTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Execsnoop.class, Exitsnoop.class);
}
