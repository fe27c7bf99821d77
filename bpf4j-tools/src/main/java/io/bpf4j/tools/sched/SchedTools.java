package io.bpf4j.tools.sched;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe the scheduler, in the order {@code bpf4j --help} lists them. */
public final class SchedTools {
    private SchedTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Runqlat.class, TaskSwitch.class);
}
