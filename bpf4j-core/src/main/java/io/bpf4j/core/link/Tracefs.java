package io.bpf4j.core.link;

import io.bpf4j.core.format.IoErrors;
import io.bpf4j.core.internal.ObjectPath;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

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

    /**
     * The record layout of tracepoint {@code category:name}, read from its {@code format} file; empty when there is
     * no such tracepoint.
     *
     * @throws UncheckedIOException when the file exists but cannot be read
     */
    public static Optional<TracepointFormat> format(String category, String name) {
        if (category.contains("/") || name.contains("/") || category.startsWith(".") || name.startsWith(".")) {
            return Optional.empty();
        }
        Path file = event(category, name).resolve("format");
        try {
            return Optional.of(TracepointFormat.parse(category, name, Files.readString(file)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + IoErrors.describe(e, file), e);
        }
    }
}
