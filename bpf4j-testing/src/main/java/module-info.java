/** What the modules' tests share: {@code @KernelTest}, the tag of the tests that need root and a BPF kernel. */
module io.bpf4j.testing {
    requires transitive org.junit.jupiter.api;

    exports io.bpf4j.testing;
}
