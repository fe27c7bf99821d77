package io.bpf4j.bpftrace.ast;

import java.util.List;

/**
 * A parsed bpftrace program: its probe blocks in source order.
 *
 * @param probes the probe blocks
 */
public record Script(List<Probe> probes) {
    public Script {
        probes = List.copyOf(probes);
    }
}
