package io.bpf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The BPF links one process holds open (from /proc/PID/fd and fdinfo): unlike the kernel's list of every link,
 * they do not change when other processes (tests of other modules, other test runs on the machine) make and drop
 * links of their own.
 */
final class ProcessLinks {
    private ProcessLinks() {
    }

    /** The ids of the links process {@code pid} holds. */
    static List<Integer> of(long pid) throws IOException {
        List<Integer> ids = new ArrayList<>();
        Path proc = Path.of("/proc", Long.toString(pid));
        try (var fds = Files.list(proc.resolve("fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException closedMeanwhile) {
                    continue;
                }
                if (!target.equals("anon_inode:bpf_link")) continue;
                try {
                    Files.readAllLines(proc.resolve("fdinfo").resolve(fd.getFileName().toString())).stream()
                            .filter(l -> l.startsWith("link_id:"))
                            .forEach(l -> ids.add(Integer.parseInt(l.substring(8).strip())));
                } catch (IOException closedMeanwhile) {
                    // closed between the listing and the read
                }
            }
        }
        return ids;
    }

    /** The ids of the links this JVM holds. */
    static List<Integer> own() throws IOException {
        return of(ProcessHandle.current().pid());
    }
}
