package io.bpf4j.tools.net;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe the network stack (sockets, TCP), in the order {@code bpf4j --help} lists them. */
public final class NetTools {
    private NetTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Tcpconnect.class, Solisten.class, Tcpstates.class,
            Tcplife.class);
}
