package io.bpf4j.tools.packet;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe packets, with XDP, in the order {@code bpf4j --help} lists them. */
public final class PacketTools {
    private PacketTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Xdpfilter.class, Ddosdetect.class);
}
