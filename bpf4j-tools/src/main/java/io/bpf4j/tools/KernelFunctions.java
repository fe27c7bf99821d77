package io.bpf4j.tools;

import io.bpf4j.core.kernel.Probe;
import io.bpf4j.core.link.Kprobe;
import io.bpf4j.core.link.Tracefs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the tools say when asked to trace a kernel function (bcc's {@code p::FUNC}, {@code r::FUNC}, bpftrace's
 * {@code kprobe:FUNC}…): kprobes, when this kernel has none (CONFIG_KPROBES unset), are not available, and a
 * tracepoint is the way — the one of the same name when there is one. One text for every tool.
 */
public final class KernelFunctions {
    private KernelFunctions() {
    }

    /**
     * Why kernel function {@code function} cannot be traced here, with what to trace instead, when this kernel has
     * no kprobes: "cannot trace kernel function 'F': kprobes are not available on this kernel (…); the tracepoint
     * t:C:F exists: trace it instead".
     *
     * @param otherwise why {@code function} cannot be traced when the kernel has kprobes (e.g. "trace traces
     *                  tracepoints…"), or null when it can be
     * @return empty when it can be traced
     */
    public static Optional<String> cannotTrace(String function, String otherwise) {
        Probe kprobes = Kprobe.availability();
        String why = !kprobes.available() ? "kprobes are not available on this kernel (" + kprobes.reason() + ")"
                : otherwise;
        if (why == null) return Optional.empty();
        return Optional.of("cannot trace kernel function '" + function + "': " + why
                + tracepointHint(function));
    }

    /** When FUNC is also the name of a tracepoint (as sched_process_fork), suggests tracing that instead. */
    private static String tracepointHint(String name) {
        try (var cats = Files.list(Tracefs.events())) {
            for (Path c : cats.toList()) {
                if (Files.isDirectory(c.resolve(name))) {
                    return "; the tracepoint t:" + c.getFileName() + ":" + name + " exists: trace it instead";
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // tracefs not mounted: the generic hint below
        }
        return "; trace a tracepoint instead: t:CATEGORY:NAME (see /sys/kernel/tracing/events)";
    }
}
