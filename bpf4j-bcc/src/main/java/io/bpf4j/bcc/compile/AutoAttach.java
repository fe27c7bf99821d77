package io.bpf4j.bcc.compile;

/**
 * A program the source asks to attach by its name or macro, as bcc attaches them when it loads the text:
 * {@code kprobe__X}, {@code kretprobe__X}, {@code tracepoint__CAT__NAME}, {@code TRACEPOINT_PROBE(cat, name)},
 * {@code RAW_TRACEPOINT_PROBE(name)}, {@code KFUNC_PROBE}/{@code KRETFUNC_PROBE}, {@code LSM_PROBE}.
 *
 * @param program the program's (function's) name in the object
 * @param kind    the kind of hook
 * @param target  the hook: the kernel function, {@code category:name} for a tracepoint, the raw tracepoint's
 *                name, or the LSM hook
 */
public record AutoAttach(String program, Kind kind, String target) {
    /** The kinds of hook a bcc source names. */
    public enum Kind { KPROBE, KRETPROBE, TRACEPOINT, RAW_TRACEPOINT, KFUNC, KRETFUNC, LSM }
}
