/**
 * The tools, next to libbpf-tools and bcc's: one picocli command per tool, each with its BPF object built from
 * {@code src/main/bpf}. picocli sets the options' fields reflectively, so every tool package is open to it.
 */
module io.bpf4j.tools {
    requires transitive io.bpf4j.core;
    requires transitive io.bpf4j.output;
    requires transitive info.picocli;

    exports io.bpf4j.tools;
    exports io.bpf4j.tools.block;
    exports io.bpf4j.tools.cpu;
    exports io.bpf4j.tools.fs;
    exports io.bpf4j.tools.irq;
    exports io.bpf4j.tools.jvm;
    exports io.bpf4j.tools.mem;
    exports io.bpf4j.tools.net;
    exports io.bpf4j.tools.packet;
    exports io.bpf4j.tools.proc;
    exports io.bpf4j.tools.registry;
    exports io.bpf4j.tools.sched;
    exports io.bpf4j.tools.stack;
    exports io.bpf4j.tools.syscall;
    exports io.bpf4j.tools.trace;

    opens io.bpf4j.tools to info.picocli;
    opens io.bpf4j.tools.block to info.picocli;
    opens io.bpf4j.tools.cpu to info.picocli;
    opens io.bpf4j.tools.fs to info.picocli;
    opens io.bpf4j.tools.irq to info.picocli;
    opens io.bpf4j.tools.jvm to info.picocli;
    opens io.bpf4j.tools.mem to info.picocli;
    opens io.bpf4j.tools.net to info.picocli;
    opens io.bpf4j.tools.packet to info.picocli;
    opens io.bpf4j.tools.proc to info.picocli;
    opens io.bpf4j.tools.sched to info.picocli;
    opens io.bpf4j.tools.stack to info.picocli;
    opens io.bpf4j.tools.syscall to info.picocli;
    opens io.bpf4j.tools.trace to info.picocli;
}
