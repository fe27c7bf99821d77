/**
 * The {@code bpf4j} command: every tool of bpf4j-tools, plus {@code run}, {@code object}, {@code prog},
 * {@code map}, {@code link}, {@code btf}, {@code feature} and {@code tracelog}. picocli sets the commands' option
 * fields reflectively, so the package is open to it.
 */
module io.bpf4j.cli {
    requires io.bpf4j.tools;
    requires io.bpf4j.bpftrace;
    // bpf4j script: compiles the script's source (javax.tools, and com.sun.source for its first class's name)
    requires jdk.compiler;
    requires jdk.unsupported; // sun.misc.Signal: bt answers SIGINT and SIGUSR1 as bpftrace does

    opens io.bpf4j.cli to info.picocli;
}
