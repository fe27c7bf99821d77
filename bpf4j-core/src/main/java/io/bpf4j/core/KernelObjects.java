package io.bpf4j.core;

import io.bpf4j.core.internal.Bpf;

import java.util.ArrayList;
import java.util.List;

/**
 * The ids of every BPF object the kernel holds (BPF_*_GET_NEXT_ID), as {@code bpftool prog|map|link|btf list}
 * walk them. Open one with {@link Program#fromId(int)} and the like.
 */
public final class KernelObjects {
    private KernelObjects() {
    }

    /** Ids of every loaded program, ascending. */
    public static List<Integer> programIds() {
        return ids(Bpf.ObjType.PROG);
    }

    /** Ids of every map, ascending. */
    public static List<Integer> mapIds() {
        return ids(Bpf.ObjType.MAP);
    }

    /** Ids of every link, ascending. */
    public static List<Integer> linkIds() {
        return ids(Bpf.ObjType.LINK);
    }

    /** Ids of every BTF object (vmlinux, modules, programs'), ascending. */
    public static List<Integer> btfIds() {
        return ids(Bpf.ObjType.BTF);
    }

    private static List<Integer> ids(Bpf.ObjType type) {
        List<Integer> ids = new ArrayList<>();
        for (int id = Bpf.getNextId(type, 0); id >= 0; id = Bpf.getNextId(type, id)) ids.add(id);
        return ids;
    }
}
