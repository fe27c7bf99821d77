/** What every bpf4j module's tests share; a test-scoped dependency only. */
module io.bpf4j.testing {
    requires transitive org.junit.jupiter.api;

    exports io.bpf4j.testing;
}
