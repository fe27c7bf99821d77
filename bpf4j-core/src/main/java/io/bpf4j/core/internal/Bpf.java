package io.bpf4j.core.internal;

import io.bpf4j.core.BpfException;
import io.bpf4j.core.Errno;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The bpf(2) system call. {@link #call} throws a {@link BpfException} that names the command, the errno and
 * what to do; {@link #tryCall} returns {@code -errno} for callers for whom an error is an answer (ENOENT at
 * the end of an iteration, a feature probe).
 */
public final class Bpf {
    private Bpf() {
    }

    /** Allocates a zeroed {@code union bpf_attr}. */
    public static MemorySegment attr(Arena arena) {
        return arena.allocate(BpfAttr.SIZE, 8);
    }

    /** How often a program load interrupted by a signal is tried (libbpf tries five times too). */
    private static final int PROG_LOAD_TRIES = 5;

    /**
     * bpf(cmd, attr, size); returns the result or {@code -errno}. A program load that fails with EAGAIN is tried
     * again: the verifier gives up with EAGAIN when a signal is pending, and a JVM's threads receive signals (a
     * profiler's, the JVM's own) at any time.
     */
    public static int tryCall(BpfCommand cmd, MemorySegment attr) {
        int r = (int) LibC.syscall(LibC.SYS_BPF, cmd.code(), attr, attr.byteSize());
        for (int tries = 1; r == -Errno.EAGAIN.code() && cmd == BpfCommand.PROG_LOAD && tries < PROG_LOAD_TRIES;
             tries++) {
            r = (int) LibC.syscall(LibC.SYS_BPF, cmd.code(), attr, attr.byteSize());
        }
        return r;
    }

    /** bpf(cmd, attr, size); throws when it fails. */
    public static int call(BpfCommand cmd, MemorySegment attr) {
        return call(cmd, attr, null);
    }

    /**
     * bpf(cmd, attr, size); throws when it fails.
     *
     * @param subject says what the command was applied to, for the message (e.g. "hash map 'counts'"), or null
     */
    public static int call(BpfCommand cmd, MemorySegment attr, Supplier<String> subject) {
        int r = tryCall(cmd, attr);
        if (r < 0) throw failure(cmd, -r, subject == null ? null : subject.get());
        return r;
    }

    /** Builds the exception for a failed command: what failed, the errno, and a hint for this errno. */
    public static BpfException failure(BpfCommand cmd, int errno, String subject) {
        String op = cmd.kernelName() + (subject == null ? "" : " (" + subject + ")");
        return new BpfException(op, errno, message(op, errno, hint(cmd, errno)));
    }

    /** "OP failed: ENAME (text) — hint". */
    public static String message(String operation, int errno, String hint) {
        Errno e = Errno.of(errno);
        String name = e == Errno.UNKNOWN ? "errno " + errno : e.name() + " (" + e.description() + ")";
        return operation + " failed: " + name + (hint == null ? "" : " — " + hint);
    }

    /** What the errno usually means for this command, and what to do about it. */
    public static String hint(BpfCommand cmd, int errno) {
        return switch (Errno.of(errno)) {
            case EPERM -> permissionHint(cmd);
            case EACCES -> cmd == BpfCommand.PROG_LOAD
                    ? "the verifier rejected the program; its log says why"
                    : "access denied: " + permissionHint(cmd);
            case E2BIG -> switch (cmd) {
                case MAP_CREATE -> "the map is too large (max_entries × value size) or the key/value size exceeds "
                        + "what this map type allows";
                case PROG_LOAD -> "the program is too large, or this kernel does not know a field that bpf4j set "
                        + "in bpf_attr (an older kernel)";
                default -> "an argument is too large, or this kernel is older than the attribute bpf4j passed";
            };
            case EINVAL -> switch (cmd) {
                case MAP_CREATE -> "the kernel refused the map definition: check the map type, key size, "
                        + "value size, max_entries and flags together (e.g. arrays need 4-byte keys, ring buffers "
                        + "a power-of-two page multiple and no key/value size)";
                case PROG_LOAD -> "the kernel refused the load attributes: check the program type, expected "
                        + "attach type, attach BTF id and flags, or the verifier log if there is one";
                case MAP_UPDATE_ELEM -> "invalid flags or value for this map type (e.g. BPF_NOEXIST on an array)";
                case LINK_CREATE, PROG_ATTACH, RAW_TRACEPOINT_OPEN ->
                        "this program type cannot be attached this way; check the attach type and target";
                case PROG_TEST_RUN -> "this program type does not support BPF_PROG_TEST_RUN with these "
                        + "arguments (data size, context, repeat or flags)";
                default -> "an attribute was invalid for " + cmd.kernelName();
            };
            case ENOENT -> switch (cmd) {
                case MAP_LOOKUP_ELEM, MAP_DELETE_ELEM, MAP_LOOKUP_AND_DELETE_ELEM -> "no such key in the map";
                case OBJ_GET -> "nothing is pinned at that path";
                default -> "the object does not exist (any more)";
            };
            case ENOSPC -> cmd == BpfCommand.PROG_LOAD || cmd == BpfCommand.BTF_LOAD
                    ? "the log buffer is too small (bpf4j grows it and retries)"
                    : "a buffer passed to the kernel is too small for what it has to return";
            case EEXIST -> cmd == BpfCommand.OBJ_PIN ? "something is already pinned at that path"
                    : "the key exists and BPF_NOEXIST was given";
            case EBUSY -> "the hook is already in use (another program is attached, or the map is frozen)";
            case EBADF -> "a file descriptor passed to the kernel is not open (was the object closed?)";
            case ENOMEM -> "the kernel could not allocate memory for this object (memory cgroup limit?)";
            case EFAULT -> "the kernel could not read or write a buffer bpf4j passed (a bpf4j bug: please report)";
            case ENOTSUPP, EOPNOTSUPP -> "this kernel does not support this operation for this object type";
            case ENOSYS -> "this kernel was built without bpf(2) (CONFIG_BPF_SYSCALL)";
            default -> null;
        };
    }

    private static String permissionHint(BpfCommand cmd) {
        if (LibC.geteuid() != 0) {
            return "bpf(2) needs root, or CAP_BPF (plus CAP_PERFMON for tracing, CAP_NET_ADMIN for networking); "
                    + "run as root (kernel.unprivileged_bpf_disabled=" + sysctl("kernel/unprivileged_bpf_disabled")
                    + ")";
        }
        String lockdown = lockdown();
        String base = "running as root, so a kernel restriction refused it";
        if (cmd == BpfCommand.PROG_LOAD) {
            base += ": this program type or attach target is not allowed here (fentry/fexit/LSM and "
                    + "kernel-function attachment are refused under lockdown or without CONFIG_FUNCTION_TRACER)";
        }
        return base + (lockdown == null ? "" : "; kernel lockdown is '" + lockdown + "'");
    }

    /**
     * The active kernel lockdown mode ("none", "integrity", "confidentiality"), or null if it cannot be read.
     * Mounts securityfs at /sys/kernel/security when it is not (as root).
     */
    public static String lockdown() {
        ObjectPath.ensureSecurityFs(); // not mounted at boot on minimal systems
        try {
            String s = Files.readString(Path.of("/sys/kernel/security/lockdown"));
            int open = s.indexOf('['), close = s.indexOf(']');
            return open >= 0 && close > open ? s.substring(open + 1, close) : s.strip();
        } catch (IOException e) {
            return null;
        }
    }

    private static String sysctl(String name) {
        try {
            return Files.readString(Path.of("/proc/sys", name)).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** Reads {@code len} info bytes of the object behind {@code fd} (BPF_OBJ_GET_INFO_BY_FD) into {@code info}. */
    public static void objInfo(int fd, MemorySegment info, Arena arena) {
        MemorySegment attr = attr(arena);
        attr.set(JAVA_INT, BpfAttr.InfoByFd.BPF_FD, fd);
        attr.set(JAVA_INT, BpfAttr.InfoByFd.INFO_LEN, (int) info.byteSize());
        attr.set(java.lang.foreign.ValueLayout.JAVA_LONG, BpfAttr.InfoByFd.INFO, info.address());
        call(BpfCommand.OBJ_GET_INFO_BY_FD, attr);
    }
}
