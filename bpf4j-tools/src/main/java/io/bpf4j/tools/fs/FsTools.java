package io.bpf4j.tools.fs;

import io.bpf4j.tools.Tool;

import java.util.List;

/** The tools that observe files and the page cache, in the order {@code bpf4j --help} lists them. */
public final class FsTools {
    private FsTools() {
    }

    /** The tools of this group. */
    public static final List<Class<? extends Tool>> TOOLS = List.of(Opensnoop.class, Mkdirsnoop.class,
            Cachestat.class);
}
