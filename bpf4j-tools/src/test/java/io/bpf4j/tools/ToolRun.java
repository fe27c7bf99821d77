package io.bpf4j.tools;

import io.bpf4j.core.Program;
import io.bpf4j.core.link.Link;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Runs a tool in this JVM as the {@code bpf4j} command would, while the test makes the workload it observes.
 *
 * <p>{@link #start} returns once the tool says it is attached ({@link Tool#attached()}: its programs are attached
 * and its event readers open), so a workload made after it is seen, however slowly the tool started. The test then
 * makes its workload and ends the tool with {@link Running#stop()}, as Ctrl-C would — after the workload is done
 * and, where the kernel records it asynchronously (a TCP state change in a softirq, an interval's print), after
 * {@link Running#awaitOut} has seen it — so nothing depends on how long the workload takes. A tool that ends by
 * itself (its {@code -d} duration or its interval count, with no workload that has to fit in) is waited for with
 * {@link Running#finish()}. Both check that every link the tool made is gone.
 *
 * <p>The timeouts here (60 s) only turn a hang into a failure that shows the tool's output; nothing waits for them
 * to pass.
 *
 * @param exit the exit code
 * @param out  what it printed on stdout
 * @param err  what it printed on stderr
 */
public record ToolRun(int exit, String out, String err) {
    /** How long a tool may take to attach, to end, or to print what the test waits for, before the test fails. */
    static final long TIMEOUT_S = 60;

    /** A tool started in the background. */
    public static final class Running {
        private final Tool tool;
        private final CompletableFuture<ToolRun> future;
        private final StringWriter out;
        private final StringWriter err;
        private final List<Integer> linksBefore;

        private Running(Tool tool, CompletableFuture<ToolRun> future, StringWriter out, StringWriter err,
                        List<Integer> linksBefore) {
            this.tool = tool;
            this.future = future;
            this.out = out;
            this.err = err;
            this.linksBefore = linksBefore;
        }

        /** What it printed so far on stdout. */
        public String outSoFar() {
            synchronized (out.getBuffer()) {
                return out.toString();
            }
        }

        /** What it printed so far on stderr. */
        public String errSoFar() {
            synchronized (err.getBuffer()) {
                return err.toString();
            }
        }

        /**
         * Waits until what the tool printed on stdout so far satisfies {@code seen} — for what the kernel records
         * after the workload returned, or for an interval's output — and fails, showing the output, when the tool
         * ends first or after {@value #TIMEOUT_S} s.
         */
        public Running awaitOut(String what, Predicate<String> seen) throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
            while (!seen.test(outSoFar())) {
                if (future.isDone()) {
                    ToolRun r = future.get();
                    throw new AssertionError("the tool ended (exit " + r.exit() + ") before it printed " + what
                            + "\nstdout:\n" + r.out() + "\nstderr:\n" + r.err());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the tool did not print " + what + " within " + TIMEOUT_S + " s\nstdout:\n"
                            + outSoFar() + "\nstderr:\n" + errSoFar());
                }
                Thread.sleep(10);
            }
            return this;
        }

        /**
         * Waits until the tool has printed {@code more} lines beyond the {@code lines} it had printed — for an
         * interval tool, {@code more = 2} complete intervals' worth of single-line reports means that the second
         * one read its counters after {@code lines} were counted, so after whatever the test did before.
         */
        public Running awaitMoreLines(long lines, long more) throws Exception {
            return awaitOut((lines + more) + " lines", o -> o.lines().count() >= lines + more && o.endsWith("\n"));
        }

        /**
         * The names of the BPF programs behind the links the tool made (sorted), which show the hooks it chose
         * (e.g. a kprobe or fentry program where the kernel has them, a tracepoint program elsewhere).
         */
        public List<String> attachedPrograms() throws IOException {
            List<String> names = new ArrayList<>();
            for (int id : ownLinkIds()) {
                if (linksBefore.contains(id)) continue;
                try (Link link = Link.fromId(id); Program p = Program.fromId(link.info().programId())) {
                    names.add(p.info().name());
                }
            }
            return names.stream().sorted().toList();
        }

        /** Ends the tool as Ctrl-C does (it prints what it prints then), waits for its end and checks its links. */
        public ToolRun stop() throws Exception {
            tool.stop();
            return finish();
        }

        /**
         * Waits for the tool to end by itself (its {@code -d} duration or its interval count; at most
         * {@value #TIMEOUT_S} s) and checks that it left no link behind.
         */
        public ToolRun finish() throws Exception {
            ToolRun r;
            try {
                r = future.get(TIMEOUT_S, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                tool.stop();
                throw new AssertionError("the tool did not end within " + TIMEOUT_S + " s\nstdout:\n" + outSoFar()
                        + "\nstderr:\n" + errSoFar(), e);
            }
            assertThat(ownLinkIds()).as("BPF links this JVM still holds after the tool exited")
                    .isSubsetOf(linksBefore);
            return r;
        }
    }

    /** Skips the test unless it runs as root (the tools load BPF programs). */
    public static void assumeRoot() {
        assumeTrue("root".equals(System.getProperty("user.name")), "loading BPF programs needs root");
    }

    /**
     * Starts {@code tool} with {@code args} on a thread of its own and waits until it says it is attached
     * ({@link Tool#attached()}). Fails with the tool's output when it ends first, or is not attached after
     * {@value #TIMEOUT_S} s.
     */
    public static Running start(Class<? extends Tool> tool, String... args) throws Exception {
        assumeRoot();
        List<Integer> linksBefore = ownLinkIds();
        StringWriter out = new StringWriter(), err = new StringWriter();
        Tool instance;
        try {
            instance = tool.getDeclaredConstructor().newInstance();
        } catch (InvocationTargetException e) {
            throw new IllegalStateException(e.getCause());
        }
        CompletableFuture<ToolRun> future = new CompletableFuture<>();
        // a thread of its own, not a pool's: the test's own waiting must never keep the tool from running
        Thread.ofPlatform().daemon().name("tool-" + tool.getSimpleName()).start(() -> {
            try {
                CommandLine cl = new CommandLine(instance);
                cl.setOut(new PrintWriter(out, true));
                cl.setErr(new PrintWriter(err, true));
                cl.setExecutionExceptionHandler((ex, c, p) -> {
                    ex.printStackTrace(c.getErr());
                    return 1;
                });
                int exit = cl.execute(args);
                future.complete(new ToolRun(exit, out.toString(), err.toString()));
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        });
        Running running = new Running(instance, future, out, err, linksBefore);
        try {
            instance.attached().toCompletableFuture().get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException endedFirst) {
            ToolRun r = future.get(TIMEOUT_S, TimeUnit.SECONDS);
            throw new AssertionError("the tool ended before it was attached (exit " + r.exit() + ")\nstdout:\n"
                    + r.out() + "\nstderr:\n" + r.err());
        } catch (TimeoutException e) {
            instance.stop();
            throw new AssertionError("the tool was not attached after " + TIMEOUT_S + " s; stdout:\n"
                    + running.outSoFar() + "\nstderr:\n" + running.errSoFar());
        }
        return running;
    }

    /**
     * The ids of the BPF links this JVM holds open (from /proc/self/fdinfo): other processes, tests of other
     * modules running at the same time among them, make and drop links of their own.
     */
    static List<Integer> ownLinkIds() throws IOException {
        List<Integer> ids = new ArrayList<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException closedMeanwhile) {
                    continue;
                }
                if (!target.equals("anon_inode:bpf_link")) continue;
                try {
                    Files.readAllLines(Path.of("/proc/self/fdinfo", fd.getFileName().toString()))
                            .stream().filter(l -> l.startsWith("link_id:"))
                            .forEach(l -> ids.add(Integer.parseInt(l.substring(8).strip())));
                } catch (IOException closedMeanwhile) {
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
