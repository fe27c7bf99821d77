package io.bpf4j.core.link;

import io.bpf4j.core.Program;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.error.Errno;
import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.LibC;
import io.bpf4j.core.object.AttachType;

import java.util.Locale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Attaches cgroup programs (cgroup_skb, cgroup_sock, cgroup_sock_addr, sock_ops, cgroup_device, cgroup_sysctl,
 * cgroup_sockopt) to a cgroup v2 directory through a BPF link (BPF_LINK_CREATE, Linux 5.7+). The program runs for
 * every process in that cgroup and its descendants; several programs may be linked to one cgroup (links are
 * always multi-attach).
 */
public final class Cgroup {
    private static final int O_DIRECTORY = 0x10000;

    private Cgroup() {
    }

    /**
     * Links {@code program} to the cgroup {@code cgroupDir} (a directory of the cgroup v2 hierarchy, e.g.
     * {@code /sys/fs/cgroup/my.slice}) as {@code attachType} (e.g. {@link AttachType#CGROUP_INET_EGRESS}).
     *
     * @throws BpfException when the directory cannot be opened or the kernel refuses the link
     */
    public static Link attach(Program program, Path cgroupDir, AttachType attachType) {
        int fd = LibC.open(cgroupDir.toString(), LibC.O_RDONLY | O_DIRECTORY | LibC.O_CLOEXEC);
        if (fd < 0) {
            String hint = -fd == Errno.ENOENT.code() ? "no such directory"
                    : -fd == Errno.ENOTDIR.code() ? "not a directory" : null;
            throw new BpfException("open", -fd, Bpf.message("opening cgroup " + cgroupDir, -fd, hint));
        }
        try {
            String what = attachType.name().toLowerCase(Locale.ROOT) + " '" + program.name() + "' on cgroup "
                    + cgroupDir;
            return new Link(Bpf.linkCreate(program.fd(), fd, attachType.code(), 0, what), what);
        } catch (BpfException e) {
            if (e.is(Errno.EBADF) || e.is(Errno.EINVAL)) {
                Optional<Path> v2 = mountPoint();
                if (v2.isEmpty() || !cgroupDir.toAbsolutePath().normalize().startsWith(v2.get())) {
                    throw new BpfException(e.operation(), e.errnoCode(), e.getMessage() + " — " + cgroupDir
                            + " is not in the cgroup v2 hierarchy" + v2.map(p -> " (mounted at " + p + ")")
                            .orElse(" (no cgroup2 file system is mounted)"), e);
                }
            }
            throw e;
        } finally {
            LibC.close(fd); // the link holds the cgroup
        }
    }

    /** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid systems). */
    public static Optional<Path> mountPoint() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("cgroup2")) return Optional.of(Path.of(f[1]));
            }
        } catch (IOException e) {
            // none found
        }
        return Optional.empty();
    }
}
