/**
 * The bpftrace language compiled to BPF in pure Java: {@code io.bpf4j.bpftrace.BpfTrace} compiles a script
 * (parse, check against the kernel's BTF and tracefs, generate instructions with the assembler), loads and
 * attaches it, streams its output and exposes its maps. {@code bpf4j bt} is its command line.
 */
module io.bpf4j.bpftrace {
    requires transitive io.bpf4j.core;
    requires io.bpf4j.output;

    exports io.bpf4j.bpftrace;
    exports io.bpf4j.bpftrace.ast;
    exports io.bpf4j.bpftrace.check;
    exports io.bpf4j.bpftrace.codegen;
    exports io.bpf4j.bpftrace.format;
    exports io.bpf4j.bpftrace.parse;
    exports io.bpf4j.bpftrace.runtime;
}
