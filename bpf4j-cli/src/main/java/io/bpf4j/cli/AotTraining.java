package io.bpf4j.cli;

import io.bpf4j.tools.Tool;
import io.bpf4j.tools.registry.Tools;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The training run of the launcher's JDK AOT cache (JEP 483/514): every tool once, in one JVM, started and stopped
 * as soon as it is attached. The cache then holds the classes each tool loads and links, not only those of the
 * tool that trained it (a cache trained by opensnoop alone left profile 290 classes to load from the jar, about
 * 40 ms of its start-up). Not a command: {@code ./bpf4j} runs it once per build with {@code -XX:AOTCacheOutput}.
 * As non-root each tool stops at its first bpf() call, which still records its start-up path. Then {@code bt} runs
 * a one-liner that ends itself, through the parser, the checker against kernel BTF, code generation, load, attach
 * and the printing of maps (without it, {@code bt -e} loaded 131 classes from the jar at start-up, with it 15).
 */
final class AotTraining {
    private AotTraining() {
    }

    /** Arguments for the tools that need some; the others run with none. */
    private static final List<List<String>> ARGS = List.of(
            List.of("stackcount", "t:sched:sched_process_fork"),
            List.of("trace", "t:sched:sched_process_exec"),
            List.of("argdist", "-C", "t:sched:sched_process_exec():u32:args->pid"));

    /** The bt training program: the usual one-liner shapes (a tracepoint's args, maps, hist, kstack, printf). */
    private static final String BT_PROGRAM = "BEGIN { printf(\"%s\\n\", \"ready\"); } "
            + "tracepoint:syscalls:sys_enter_openat /pid != 0/ { @[comm] = count(); @n[args->flags] = sum(1); "
            + "@h = hist(pid); @l = lhist(cpu, 0, 8, 1); } profile:hz:99 { @s[kstack] = count(); } "
            + "interval:ms:20 { printf(\"%d %s\\n\", pid, comm); exit(); }";

    public static void main(String[] args) {
        PrintWriter discard = new PrintWriter(Writer.nullWriter());
        for (Tools.Entry e : Tools.all()) {
            String name = e.names().getFirst();
            List<String> argv = ARGS.stream().filter(a -> a.getFirst().equals(name)).findFirst().orElse(List.of(name));
            var cl = Main.commandLine(false, name);
            cl.setOut(discard);
            cl.setErr(discard);
            Tool tool = (Tool) cl.getSubcommands().get(name).getCommand();
            CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> cl.execute(argv.toArray(String[]::new)));
            // stop it once attached, or when it ended without attaching (not root, a missing hook: still trained)
            tool.attached().toCompletableFuture().exceptionally(x -> null).thenRun(tool::stop);
            try {
                run.get(30, TimeUnit.SECONDS);
            } catch (Exception stuck) {
                tool.stop();
            }
        }
        var bt = Main.commandLine(false, "bt");
        bt.setOut(discard);
        bt.setErr(discard);
        try {
            CompletableFuture.supplyAsync(() -> bt.execute("bt", "-e", BT_PROGRAM)).get(30, TimeUnit.SECONDS);
        } catch (Exception stuck) {
            // not root, or a hook missing: what ran is trained all the same
        }
        System.exit(0);
    }
}
