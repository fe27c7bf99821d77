package io.bpf4j.bpftrace.check;

import io.bpf4j.core.link.Uprobe;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** The binaries a uprobe or USDT attach point or listing names: a path (wildcards allowed), or a process's. */
public final class Binaries {
    private Binaries() {
    }

    /**
     * The binaries matching {@code path} (wildcards {@code *} and {@code ?} in its last component; a bare name is a
     * library or command looked up as uprobes do); with {@code pid} (not 0), among the files that process maps
     * executable, by the paths it sees.
     */
    public static List<String> matching(String path, int pid) {
        if (pid != 0) {
            Pattern p = Checker.glob(path);
            return mapped(pid).stream().filter(f -> p.matcher(f).matches()
                    || p.matcher(Path.of(f).getFileName().toString()).matches()
                    || !path.contains("*") && !path.contains("?") && sameFile(path, f, pid)).toList();
        }
        if (!path.contains("*") && !path.contains("?")) {
            if (path.contains("/")) return List.of(path);
            try {
                return List.of(Uprobe.resolve(path).toString());
            } catch (IllegalArgumentException e) {
                return List.of();
            }
        }
        int slash = path.lastIndexOf('/');
        Path dir = Path.of(slash < 0 ? "." : path.substring(0, Math.max(slash, 1)));
        Pattern name = Checker.glob(path.substring(slash + 1));
        List<String> out = new ArrayList<>();
        try (var files = Files.list(dir)) {
            files.filter(f -> name.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f))
                    .map(f -> (slash < 0 ? "" : path.substring(0, slash + 1)) + f.getFileName()).sorted()
                    .forEach(out::add);
        } catch (IOException e) {
            return List.of();
        }
        return out;
    }

    /** Where this process can read {@code file} as process {@code pid} sees it (another mount namespace). */
    public static String readable(String file, int pid) {
        if (pid == 0 || Files.isRegularFile(Path.of(file))) return file;
        return "/proc/" + pid + "/root" + file;
    }

    private static boolean sameFile(String path, String mapped, int pid) {
        try {
            return Files.isSameFile(Path.of(path), Path.of(readable(mapped, pid)));
        } catch (IOException e) {
            return false;
        }
    }

    /** The files {@code pid} maps executable, as it names them. */
    private static List<String> mapped(int pid) {
        Set<String> files = new LinkedHashSet<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
                String[] f = line.split("\\s+", 6);
                if (f.length == 6 && f[1].contains("x") && f[5].startsWith("/")) files.add(f[5].strip());
            }
        } catch (NoSuchFileException | FileNotFoundException gone) {
            throw new IllegalArgumentException("no process " + pid + ": it exited before its mappings were read");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the mappings of process " + pid + ": " + e.getMessage(), e);
        }
        return List.copyOf(files);
    }
}
