package io.bpf4j.bcc.compile;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How to compile one source.
 *
 * @param sourceName  the name errors and BTF line info give the source, e.g. {@code "mkdir.c"} or the Java file
 *                    that holds it ({@code NAME:LINE:COL: error: …})
 * @param defines     {@code -DNAME=VALUE} for each entry (an empty value defines the name as {@code 1}, as
 *                    clang's {@code -DNAME} does)
 * @param includeDirs extra {@code -I} directories, searched after bpf4j's own headers
 * @param cflags      extra clang arguments, after bpf4j's (e.g. {@code -Wall})
 */
public record BccOptions(String sourceName, Map<String, String> defines, List<Path> includeDirs,
                         List<String> cflags) {
    public BccOptions {
        Objects.requireNonNull(sourceName, "sourceName");
        if (sourceName.isBlank() || sourceName.contains("\"") || sourceName.contains("\n")) {
            throw new IllegalArgumentException("source name must be non-blank, without quotes or newlines: "
                    + sourceName);
        }
        defines = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(defines));
        includeDirs = List.copyOf(includeDirs);
        cflags = List.copyOf(cflags);
    }

    /** No defines, include directories or flags. */
    public static BccOptions defaults(String sourceName) {
        return new BccOptions(sourceName, Map.of(), List.of(), List.of());
    }

    /** These options with {@code -DNAME=VALUE} added. */
    public BccOptions withDefine(String name, String value) {
        Map<String, String> d = new LinkedHashMap<>(defines);
        d.put(name, value);
        return new BccOptions(sourceName, d, includeDirs, cflags);
    }

    /** These options with another include directory. */
    public BccOptions withIncludeDir(Path dir) {
        return new BccOptions(sourceName, defines, append(includeDirs, dir), cflags);
    }

    /** These options with another clang argument. */
    public BccOptions withCflag(String flag) {
        return new BccOptions(sourceName, defines, includeDirs, append(cflags, flag));
    }

    private static <T> List<T> append(List<T> list, T item) {
        var copy = new java.util.ArrayList<>(list);
        copy.add(item);
        return copy;
    }
}
