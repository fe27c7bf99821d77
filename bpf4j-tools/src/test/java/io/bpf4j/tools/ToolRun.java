package io.bpf4j.tools;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs a tool in this JVM as the {@code bpf4j} command would, while the test makes the workload it observes.
 * {@link #start} returns once the tool has attached (this JVM holds new BPF links, and no more appear) and, when
 * given, {@code attached} accepts what it printed; {@link #finish} waits for the tool's end (its {@code -d} duration or its
 * interval count) and checks that every link it made is gone.
 *
 * @param exit the exit code
 * @param out  what it printed on stdout
 * @param err  what it printed on stderr
 */
public record ToolRun(int exit, String out, String err) {
    /** A tool started in the background. */
    public static final class Running {
        private final CompletableFuture<ToolRun> future;
        private final StringWriter out;
        private final List<Integer> linksBefore;

        private Running(CompletableFuture<ToolRun> future, StringWriter out, List<Integer> linksBefore) {
            this.future = future;
            this.out = out;
            this.linksBefore = linksBefore;
        }

        /** What it printed so far. */
        public String outSoFar() {
            synchronized (out.getBuffer()) {
                return out.toString();
            }
        }

        /** Waits for the tool to end (at most 60 s) and checks it left no link behind. */
        public ToolRun finish() throws Exception {
            ToolRun r = future.get(60, TimeUnit.SECONDS);
            assertThat(ownLinkIds()).as("BPF links this JVM still holds after the tool exited")
                    .isSubsetOf(linksBefore);
            return r;
        }
    }

    /** Skips the test unless it runs as root (the tools load BPF programs). */
    public static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "loading BPF programs needs root");
    }

    /** Starts {@code tool} with {@code args} and waits (at most 30 s) until it printed something on stdout. */
    public static Running start(Class<? extends Tool> tool, String... args) throws Exception {
        return start(tool, out -> !out.isEmpty(), args);
    }

    /**
     * Starts {@code tool} with {@code args} and waits (at most 30 s) until {@code attached} accepts what it printed
     * so far on stdout. Fails with the tool's output when it ends first.
     */
    public static Running start(Class<? extends Tool> tool, Predicate<String> attached, String... args)
            throws Exception {
        assumeRoot();
        List<Integer> linksBefore = ownLinkIds();
        StringWriter out = new StringWriter(), err = new StringWriter();
        Tool instance;
        try {
            instance = tool.getDeclaredConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(e.getCause());
        }
        CompletableFuture<ToolRun> future = CompletableFuture.supplyAsync(() -> {
            CommandLine cl = new CommandLine(instance);
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            cl.setExecutionExceptionHandler((ex, c, p) -> {
                ex.printStackTrace(c.getErr());
                return 1;
            });
            int exit = cl.execute(args);
            return new ToolRun(exit, out.toString(), err.toString());
        });
        Running running = new Running(future, out, linksBefore);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // Ready: the predicate holds, and the tool has attached — this JVM holds links it did not hold before, and
        // their number has not changed for 200 ms (a tool attaches its programs one after the other).
        int lastCount = -1;
        long stableSince = 0;
        while (true) {
            int count = (int) ownLinkIds().stream().filter(id -> !linksBefore.contains(id)).count();
            long now = System.nanoTime();
            if (count != lastCount) {
                lastCount = count;
                stableSince = now;
            }
            boolean attachedAll = count > 0 && now - stableSince > TimeUnit.MILLISECONDS.toNanos(200);
            if (attachedAll && attached.test(running.outSoFar())) break;
            if (future.isDone()) {
                ToolRun r = future.get();
                throw new AssertionError("the tool ended before it was ready (exit " + r.exit() + ")\nstdout:\n"
                        + r.out() + "\nstderr:\n" + r.err());
            }
            if (now > deadline) throw new AssertionError("the tool was not ready after 30 s (links attached: "
                    + count + "); stdout:\n" + running.outSoFar() + "\nstderr:\n" + err);
            Thread.sleep(20);
        }
        return running;
    }

    /**
     * The ids of the BPF links this JVM holds open (from /proc/self/fdinfo): other processes, tests of other
     * modules running at the same time among them, make and drop links of their own.
     */
    static List<Integer> ownLinkIds() throws java.io.IOException {
        List<Integer> ids = new java.util.ArrayList<>();
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            for (java.nio.file.Path fd : fds.toList()) {
                String target;
                try {
                    target = java.nio.file.Files.readSymbolicLink(fd).toString();
                } catch (java.io.IOException closedMeanwhile) {
                    continue;
                }
                if (!target.equals("anon_inode:bpf_link")) continue;
                try {
                    java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/fdinfo", fd.getFileName().toString()))
                            .stream().filter(l -> l.startsWith("link_id:"))
                            .forEach(l -> ids.add(Integer.parseInt(l.substring(8).strip())));
                } catch (java.io.IOException closedMeanwhile) {
                    // closed between the listing and the read
                }
            }
        }
        return ids;
    }

    /** The lines of stdout that contain {@code text}. */
    public List<String> linesWith(String text) {
        return out.lines().filter(l -> l.contains(text)).toList();
    }
}
