package io.bpf4j.core.internal;

import io.bpf4j.core.error.BpfException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Pinning objects in the BPF file system (BPF_OBJ_PIN, BPF_OBJ_GET) and mounting that file system, or tracefs,
 * when the machine has not (many minimal systems mount neither at boot).
 */
public final class ObjectPath {
    /** Where bpffs is conventionally mounted. */
    public static final Path BPFFS = Path.of("/sys/fs/bpf");
    /** Where tracefs is conventionally mounted. */
    public static final Path TRACEFS = Path.of("/sys/kernel/tracing");
    /** Where securityfs (lockdown mode, active LSMs) is conventionally mounted. */
    public static final Path SECURITYFS = Path.of("/sys/kernel/security");

    private ObjectPath() {
    }

    /** Pins the object behind {@code fd} at {@code path}, mounting bpffs at /sys/fs/bpf first if needed. */
    public static void pin(int fd, Path path) {
        ensureBpfFs(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, BpfAttr.ObjPin.PATHNAME, arena.allocateFrom(path.toString()).address());
            attr.set(JAVA_INT, BpfAttr.ObjPin.BPF_FD, fd);
            Bpf.call(BpfCommand.OBJ_PIN, attr, () -> path.toString());
        }
    }

    /** Opens the object pinned at {@code path} and returns a new fd for it. */
    public static int get(Path path) {
        ensureBpfFs(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            attr.set(JAVA_LONG, BpfAttr.ObjPin.PATHNAME, arena.allocateFrom(path.toString()).address());
            return Bpf.call(BpfCommand.OBJ_GET, attr, () -> path.toString());
        }
    }

    /** Removes a pin. The object lives on while something else holds it. */
    public static void unpin(Path path) {
        try {
            Files.delete(path);
        } catch (IOException e) {
            throw new BpfException("unpin " + path, 0, "could not remove the pin " + path + ": " + e, e);
        }
    }

    /**
     * Makes sure {@code path} lies in a mounted bpffs: when it is under /sys/fs/bpf and nothing is mounted
     * there, mounts bpffs (as {@code mount -t bpf bpf /sys/fs/bpf} would).
     */
    public static void ensureBpfFs(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        if (abs.startsWith(BPFFS) && !isMountPoint(BPFFS, "bpf")) {
            mount("bpf", BPFFS, "bpf");
        }
    }

    /** Makes sure tracefs is mounted at /sys/kernel/tracing, mounting it if not; returns its path. */
    public static Path ensureTraceFs() {
        if (!isMountPoint(TRACEFS, "tracefs")) mount("nodev", TRACEFS, "tracefs");
        return TRACEFS;
    }

    /**
     * Makes sure securityfs is mounted at /sys/kernel/security (where the kernel reports its lockdown mode and
     * active LSMs), mounting it if not. Never throws: returns whether it is mounted now.
     */
    public static boolean ensureSecurityFs() {
        if (isMountPoint(SECURITYFS, "securityfs")) return true;
        return LibC.mount("securityfs", SECURITYFS.toString(), "securityfs", 0) == 0
                || isMountPoint(SECURITYFS, "securityfs");
    }

    private static void mount(String source, Path target, String type) {
        int r = LibC.mount(source, target.toString(), type, 0);
        if (r < 0) {
            throw new BpfException("mount " + type, -r, Bpf.message("mount -t " + type + " " + source + " " + target,
                    -r, "bpf4j mounts " + type + " when it is missing; this needs root (CAP_SYS_ADMIN). "
                            + "Mount it yourself: mount -t " + type + " " + source + " " + target));
        }
    }

    /** Whether /proc/self/mounts lists a file system of {@code type} mounted at {@code dir}. */
    static boolean isMountPoint(Path dir, String type) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/mounts"));
            for (String line : lines) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[1].equals(dir.toString()) && f[2].equals(type)) return true;
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
