/**
 * bcc's workflow in Java: {@code io.bpf4j.bcc.compile.BccCompiler} compiles BPF C written in bcc's dialect
 * ({@code BPF_HASH}, {@code counts.increment(k)}, {@code TRACEPOINT_PROBE}…) with clang at run time, against the
 * vmlinux.h written from the running kernel's BTF, into an object bpf4j's loader loads; objects are cached.
 * {@link io.bpf4j.bcc.Bcc} is bcc's host API in Java shape: it compiles, loads, attaches, and reads maps, perf and
 * ring buffers and the trace pipe.
 */
module io.bpf4j.bcc {
    requires transitive io.bpf4j.core;
    requires transitive io.bpf4j.object;

    exports io.bpf4j.bcc;
    exports io.bpf4j.bcc.compile;
}
