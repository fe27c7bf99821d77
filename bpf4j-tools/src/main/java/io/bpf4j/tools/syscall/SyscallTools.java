package io.bpf4j.tools.syscall;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe system calls, in the order {@code bpf4j --help} lists them. */
public final class SyscallTools {
    private SyscallTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Syscount.class);
}
