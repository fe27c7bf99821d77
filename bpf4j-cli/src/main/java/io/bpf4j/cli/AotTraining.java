package io.bpf4j.cli;

import io.bpf4j.tools.Tool;
import picocli.CommandLine;

import java.util.concurrent.TimeUnit;

/**
 * The launcher's AOT-cache training run ({@code train_aot_cache} in {@code bpf4j}): what a tool run loads and
 * links, recorded in one JVM for the two kinds of tool — one that streams events (opensnoop: the ring buffer,
 * records decoded with BTF, columns) and one that reads aggregates (runqlat: maps read as records bound through
 * BTF, histograms) — so that both start from the cache. Without the second, binding a map's records cost an
 * aggregating tool's start-up some 10 ms of lambdas and method handles made at run time.
 */
final class AotTraining {
    /** How long each tool runs once attached: long enough to see events and print. */
    private static final long RUN_MS = 300;

    private AotTraining() {
    }

    public static void main(String[] args) throws Exception {
        train("opensnoop");
        train("runqlat");
        System.exit(0);
    }

    /**
     * Runs tool {@code name} as {@code bpf4j NAME} does, and stops it as Ctrl-C does {@value #RUN_MS} ms after it
     * attached; as non-root it fails at its first bpf() call, which still records its start-up path.
     */
    private static void train(String name) throws InterruptedException {
        CommandLine cl = Main.commandLine(false, name);
        cl.setOut(Main.stdout());
        Tool tool = cl.getSubcommands().get(name).getCommand();
        Thread run = Thread.ofPlatform().name("bpf4j-train-" + name).start(() -> cl.execute(name));
        try {
            tool.attached().toCompletableFuture().get(30, TimeUnit.SECONDS);
            Thread.sleep(RUN_MS);
        } catch (Exception failedOrSlow) {
            // nothing more to record than the path up to the failure
        }
        tool.stop();
        run.join();
    }
}
