/**
 * JMH benchmarks of bpf4j next to their C references (libbpf maps, ring buffer, BTF parsing, object loading); run
 * by the {@code run-*-bench} scripts from the shaded jar, on the class path.
 */
module io.bpf4j.bench {
    requires io.bpf4j.core;
    requires java.management;
    requires jmh.core;

    exports io.bpf4j.bench;
    exports io.bpf4j.bench.jmh_generated;
}
