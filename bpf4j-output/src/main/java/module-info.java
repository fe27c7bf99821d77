/**
 * Where events go: bcc's histograms, and sinks for JSON lines, Perfetto, CTF, folded stacks and flame graphs,
 * and JFR. Depends on bpf4j-core (events, BTF, symbols) and the JDK.
 */
module io.bpf4j.output {
    requires transitive io.bpf4j.core;
    requires jdk.jfr;

    exports io.bpf4j.output;
    exports io.bpf4j.output.ctf;
    exports io.bpf4j.output.flame;
    exports io.bpf4j.output.jfr;
    exports io.bpf4j.output.perfetto;
    exports io.bpf4j.output.recorder;
}
