package io.bpf4j.core.btf;

/**
 * The linkage of a BTF {@code FUNC} ({@code BTF_FUNC_STATIC/GLOBAL/EXTERN}) or {@code VAR}
 * ({@code BTF_VAR_STATIC/GLOBAL_ALLOCATED/GLOBAL_EXTERN}); both encode it as 0, 1, 2.
 */
public enum Linkage {
    STATIC, GLOBAL, EXTERN;

    /** The linkage's number in the BTF encoding. */
    public int code() {
        return ordinal();
    }

    /** The name bpftool prints: {@code static}, {@code global}, {@code extern}. */
    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
