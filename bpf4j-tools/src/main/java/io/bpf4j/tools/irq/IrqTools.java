package io.bpf4j.tools.irq;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe hard and soft interrupts, in the order {@code bpf4j --help} lists them. */
public final class IrqTools {
    private IrqTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Hardirqs.class, Softirqs.class);
}
