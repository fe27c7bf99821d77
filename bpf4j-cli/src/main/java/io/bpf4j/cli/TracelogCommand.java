package io.bpf4j.cli;

import io.bpf4j.core.events.TracePipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bpf4j tracelog}: what BPF programs print with {@code bpf_printk}, from the kernel's trace pipe, as
 * {@code bpftool prog tracelog} (the pipe is shared: a line read here is not read by another reader).
 */
@Command(name = "tracelog", mixinStandardHelpOptions = true,
        description = "Print the kernel trace pipe (bpf_printk output) until Ctrl-C (as bpftool prog tracelog).")
public final class TracelogCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-d", "--duration"}, paramLabel = "SECONDS", description = "Stop after this many seconds.")
    Double duration;

    private final CountDownLatch stop = new CountDownLatch(1);

    /**
     * Ends the command as Ctrl-C does (within its 0.1 s wait for the pipe), for a program that runs it itself.
     * Safe from any thread, at any time.
     */
    public void stop() {
        stop.countDown();
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + (long) (duration * 1e9);
        try (TracePipe pipe = TracePipe.open()) {
            while (stop.getCount() > 0 && System.nanoTime() < deadline) {
                pipe.poll(Duration.ofMillis(100), line -> out.println(line.raw()));
                out.flush();
            }
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException exiting) {
                // a signal ends the JVM: the hook waited for us
            }
        }
        return 0;
    }
}
