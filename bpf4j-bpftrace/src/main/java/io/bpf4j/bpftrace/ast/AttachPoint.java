package io.bpf4j.bpftrace.ast;

import java.util.List;

/**
 * One attach point as written, split at its colons: {@code tracepoint:syscalls:sys_enter_openat} has provider
 * {@code tracepoint} and parts {@code [syscalls, sys_enter_openat]}. Provider aliases ({@code t}, {@code u},
 * {@code i}…) are kept as written; the checker resolves them.
 *
 * @param text     the attach point as written
 * @param provider the text before the first colon (the whole text for {@code BEGIN}/{@code END})
 * @param parts    the colon-separated parts after the provider
 * @param position where it starts
 */
public record AttachPoint(String text, String provider, List<String> parts, Position position) {
    public AttachPoint {
        parts = List.copyOf(parts);
    }
}
