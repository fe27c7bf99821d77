package io.bpf4j.core.link;

import io.bpf4j.core.internal.ObjectPath;

import java.nio.file.Path;

/**
 * Where the kernel's tracing file system is: the tracepoint events ({@code events/CATEGORY/NAME/} with their
 * {@code id} and {@code format} files) that {@link Tracepoint} attaches to and that tools read field layouts from.
 */
public final class Tracefs {
    private Tracefs() {
    }

    /**
     * The tracefs mount point, {@code /sys/kernel/tracing}; mounts tracefs there first when nothing is mounted
     * (many minimal systems do not mount it at boot; mounting needs root).
     *
     * @throws io.bpf4j.core.error.BpfException when it is not mounted and cannot be
     */
    public static Path root() {
        return ObjectPath.ensureTraceFs();
    }

    /** The directory of tracepoint events, one subdirectory per category ({@code sched}, {@code syscalls}…). */
    public static Path events() {
        return root().resolve("events");
    }

    /**
     * The directory of tracepoint {@code category:name}: its {@code id}, its {@code format} (the fields of its
     * record and their offsets), its filter. It may not exist: then there is no such tracepoint.
     */
    public static Path event(String category, String name) {
        return events().resolve(category).resolve(name);
    }
}
