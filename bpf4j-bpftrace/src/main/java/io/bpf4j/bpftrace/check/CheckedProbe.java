package io.bpf4j.bpftrace.check;

import io.bpf4j.bpftrace.ast.Probe;

import java.util.List;

/**
 * A probe block and the concrete places it runs.
 *
 * @param block   the block as parsed
 * @param targets its attach points, wildcards expanded; one BPF program is generated for each
 */
public record CheckedProbe(Probe block, List<ProbeTarget> targets) {
    public CheckedProbe {
        targets = List.copyOf(targets);
    }
}
