/**
 * The bpf4j library: programs, maps, links, event streams, symbols and what this kernel can do, on the kernel's
 * own interface through the Foreign Function &amp; Memory API. The system-call layer ({@code io.bpf4j.core.internal})
 * is not exported. Needs {@code --enable-native-access=io.bpf4j.core} (or {@code ALL-UNNAMED} on the class path).
 */
module io.bpf4j.core {
    requires transitive io.bpf4j.object;
    // attaching to running JVMs (jcmd's mechanism), to have them write their perf maps
    requires jdk.attach;

    exports io.bpf4j.core;
    exports io.bpf4j.core.error;
    exports io.bpf4j.core.events;
    exports io.bpf4j.core.features;
    exports io.bpf4j.core.jvm;
    exports io.bpf4j.core.kernel;
    exports io.bpf4j.core.link;
    exports io.bpf4j.core.symbols;
}
