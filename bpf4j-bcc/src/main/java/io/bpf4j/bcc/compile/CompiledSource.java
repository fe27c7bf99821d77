package io.bpf4j.bcc.compile;

import java.nio.file.Path;
import java.util.List;

/**
 * The result of {@link BccCompiler#compile}: a BPF ELF object for bpf4j's loader
 * ({@code BpfObject.load(ObjectSpec.read(object))}).
 *
 * @param object     the object file in the cache; it stays there (the cache is keyed by content, never rewritten)
 * @param autoAttach the programs the source names an attach point for ({@code kprobe__tcp_v4_connect},
 *                   {@code TRACEPOINT_PROBE(sched, sched_switch)}…), in source order
 * @param fromCache  true when the object came from the cache and clang did not run
 */
public record CompiledSource(Path object, List<AutoAttach> autoAttach, boolean fromCache) {
    public CompiledSource {
        autoAttach = List.copyOf(autoAttach);
    }
}
