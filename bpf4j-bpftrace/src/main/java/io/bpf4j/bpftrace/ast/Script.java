package io.bpf4j.bpftrace.ast;

import java.util.List;

/**
 * A parsed bpftrace program: its probe blocks in source order.
 *
 * @param definitions the C struct and union definitions written before the probes, as text
 * @param probes      the probe blocks
 */
public record Script(List<String> definitions, List<Probe> probes) {
    public Script {
        definitions = List.copyOf(definitions);
        probes = List.copyOf(probes);
    }
}
