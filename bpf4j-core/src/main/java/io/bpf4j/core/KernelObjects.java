package io.bpf4j.core;

import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfAttr;
import io.bpf4j.core.internal.BpfCommand;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The ids of every BPF object the kernel holds (BPF_*_GET_NEXT_ID), as {@code bpftool prog|map|link|btf list}
 * walk them. Open one with {@link Program#fromId(int)} and the like.
 */
public final class KernelObjects {
    private KernelObjects() {
    }

    /** Ids of every loaded program, ascending. */
    public static List<Integer> programIds() {
        return ids(BpfCommand.PROG_GET_NEXT_ID);
    }

    /** Ids of every map, ascending. */
    public static List<Integer> mapIds() {
        return ids(BpfCommand.MAP_GET_NEXT_ID);
    }

    /** Ids of every link, ascending. */
    public static List<Integer> linkIds() {
        return ids(BpfCommand.LINK_GET_NEXT_ID);
    }

    /** Ids of every BTF object (vmlinux, modules, programs'), ascending. */
    public static List<Integer> btfIds() {
        return ids(BpfCommand.BTF_GET_NEXT_ID);
    }

    private static List<Integer> ids(BpfCommand cmd) {
        List<Integer> ids = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = Bpf.attr(arena);
            int id = 0;
            while (true) {
                attr.set(JAVA_INT, BpfAttr.GetId.START_ID, id);
                int r = Bpf.tryCall(cmd, attr);
                if (r == -Errno.ENOENT.code()) return ids;
                if (r < 0) throw Bpf.failure(cmd, -r, "after id " + id);
                id = attr.get(JAVA_INT, BpfAttr.GetId.NEXT_ID);
                ids.add(id);
            }
        }
    }
}
