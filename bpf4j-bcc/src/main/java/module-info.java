/**
 * bcc for Java: BPF C in bcc's dialect, compiled at run time ({@code io.bpf4j.bcc.compile}) and driven through
 * bcc's host API in Java shape ({@link io.bpf4j.bcc.Bcc}). Depends on bpf4j-core.
 */
module io.bpf4j.bcc {
    requires transitive io.bpf4j.core;

    exports io.bpf4j.bcc;
    exports io.bpf4j.bcc.compile;
}
