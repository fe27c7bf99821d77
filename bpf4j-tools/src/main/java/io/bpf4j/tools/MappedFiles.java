package io.bpf4j.tools;

import io.bpf4j.core.format.IoErrors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The files a process maps, from its {@code /proc/PID/maps}: where the tools find the library to put uprobes on
 * (memleak's libc, javagc's libjvm.so).
 */
public final class MappedFiles {
    private static final String DELETED = " (deleted)";

    private MappedFiles() {
    }

    /**
     * The first file process {@code pid} maps whose file name (the last element of its path) passes {@code name},
     * as this process can open it: through {@code /proc/PID/root} when that reaches it, so that a process in a
     * container is found in its own file system. Empty when it maps none.
     *
     * @throws IllegalArgumentException when there is no process {@code pid}
     * @throws IllegalStateException    when the file was deleted or replaced since the process mapped it (a package
     *                                  update): what the process runs is no longer in any file to probe
     */
    public static Optional<Path> find(int pid, Predicate<String> name) {
        Path maps = Path.of("/proc", Integer.toString(pid), "maps");
        List<String> lines;
        try {
            lines = Files.readAllLines(maps);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no process " + pid);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + maps + " (" + IoErrors.reason(e) + ")", e);
        }
        for (String line : lines) {
            int slash = line.indexOf('/');
            if (slash < 0) continue;
            String path = line.substring(slash).strip();
            boolean deleted = path.endsWith(DELETED);
            if (deleted) path = path.substring(0, path.length() - DELETED.length());
            if (!name.test(path.substring(path.lastIndexOf('/') + 1))) continue;
            if (deleted) {
                throw new IllegalStateException("process " + pid + " runs " + path + DELETED + ": the file was "
                        + "deleted or replaced (an update?) since it started, so its probes cannot be attached; "
                        + "restart the program");
            }
            Path inRoot = Path.of("/proc/" + pid + "/root" + path);
            return Optional.of(Files.isRegularFile(inRoot) ? inRoot : Path.of(path));
        }
        return Optional.empty();
    }

    /** The command name of process {@code pid} ({@code /proc/PID/comm}), or {@code ?} when it cannot be read. */
    public static String comm(int pid) {
        try {
            return Files.readString(Path.of("/proc", Integer.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
