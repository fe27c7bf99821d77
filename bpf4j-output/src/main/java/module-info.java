/**
 * Where events go: bcc's histograms, and sinks for JSON lines, Perfetto, CTF, folded stacks and flame graphs,
 * JFR and pprof. Depends on bpf4j-core (events, BTF, symbols), the JDK, and protobuf's encoder for pprof.
 */
module io.bpf4j.output {
    requires transitive io.bpf4j.core;
    requires jdk.jfr;
    requires com.google.protobuf;

    exports io.bpf4j.output;
    exports io.bpf4j.output.ctf;
    exports io.bpf4j.output.flame;
    exports io.bpf4j.output.jfr;
    exports io.bpf4j.output.perfetto;
    exports io.bpf4j.output.pprof;
    exports io.bpf4j.output.recorder;
}
