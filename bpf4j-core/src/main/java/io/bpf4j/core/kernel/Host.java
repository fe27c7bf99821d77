package io.bpf4j.core.kernel;

import io.bpf4j.core.internal.LibC;

/** Facts about the machine and this process that sizes and permissions of BPF objects depend on. */
public final class Host {
    private Host() {
    }

    /** The size of a memory page in bytes (ring buffers and perf buffers are sized in pages). */
    public static long pageSize() {
        return LibC.pageSize();
    }

    /** Whether this process runs as root (effective user id 0): loading and attaching need it, or capabilities. */
    public static boolean isRoot() {
        return LibC.geteuid() == 0;
    }
}
