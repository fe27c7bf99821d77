package io.bpf4j.cli;

import io.bpf4j.bpftrace.BpfTrace;
import io.bpf4j.bpftrace.Options;
import io.bpf4j.core.link.Kprobe;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * bpftrace's one-liner tutorial (docs/tutorial_one_liners.md of bpftrace v0.17.0), lesson by lesson, with
 * {@code bpf4j bt}: each one-liner as the tutorial writes it, its workload made once the probes are attached, ended
 * as Ctrl-C ends it, and the shape of its output checked. The kprobe lessons (6, 7, 12) are refused here, naming
 * the tracepoint to use instead.
 */
@KernelTest
class OneLinerTutorialTest {
    private static final long PID = ProcessHandle.current().pid();

    /** The tutorial's commands, one per lesson (lesson 3 also names a -vl listing in its text). */
    static final List<String> ONE_LINERS = List.of(
            "bpftrace -l 'tracepoint:syscalls:sys_enter_*'",
            "bpftrace -e 'BEGIN { printf(\"hello world\\n\"); }'",
            "bpftrace -e 'tracepoint:syscalls:sys_enter_openat { printf(\"%s %s\\n\", comm, str(args->filename)); }'",
            "bpftrace -vl tracepoint:syscalls:sys_enter_openat",
            "bpftrace -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'",
            "bpftrace -e 'tracepoint:syscalls:sys_exit_read /pid == 18644/ { @bytes = hist(args->ret); }'",
            "bpftrace -e 'kretprobe:vfs_read { @bytes = lhist(retval, 0, 2000, 200); }'",
            "bpftrace -e 'kprobe:vfs_read { @start[tid] = nsecs; } kretprobe:vfs_read /@start[tid]/ { @ns[comm] = "
                    + "hist(nsecs - @start[tid]); delete(@start[tid]); }'",
            "bpftrace -e 'tracepoint:sched:sched* { @[probe] = count(); } interval:s:5 { exit(); }'",
            "bpftrace -e 'profile:hz:99 { @[kstack] = count(); }'",
            "bpftrace -e 'tracepoint:sched:sched_switch { @[kstack] = count(); }'",
            "bpftrace -e 'tracepoint:block:block_rq_issue { @ = hist(args->bytes); }'",
            "bpftrace path.bt");

    /** Lesson 12's script. */
    static final String PATH_BT = """
            #include <linux/path.h>
            #include <linux/dcache.h>

            kprobe:vfs_open
            {
            \tprintf("open path: %s\\n", str(((struct path *)arg0)->dentry->d_name.name));
            }
            """;

    /** The arguments of a tutorial command after {@code bpftrace}, as a shell splits them (single quotes only). */
    static List<String> arguments(String command) {
        assertThat(command).startsWith("bpftrace ");
        List<String> out = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean quoted = false;
        boolean inWord = false;
        for (char c : command.substring("bpftrace ".length()).toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                inWord = true;
            } else if (c == ' ' && !quoted) {
                if (inWord) out.add(word.toString());
                word.setLength(0);
                inWord = false;
            } else {
                word.append(c);
                inWord = true;
            }
        }
        if (inWord) out.add(word.toString());
        return out;
    }

    /** The program of a {@code bpftrace -e 'PROGRAM'} command. */
    static String program(String command) {
        List<String> args = arguments(command);
        assertThat(args).hasSize(2).first().isEqualTo("-e");
        return args.get(1);
    }

    /** A one-liner running on another thread, as {@code bpf4j bt -e} runs it. */
    private static final class Running implements AutoCloseable {
        final BpfTrace bt;
        final StringWriter text = new StringWriter();
        final CompletableFuture<Void> done;

        Running(String program) throws InterruptedException {
            bt = BpfTrace.compile(program, Options.defaults());
            PrintWriter out = new PrintWriter(text, true);
            done = CompletableFuture.runAsync(() -> bt.run(out));
            assertThat(bt.awaitAttached(Duration.ofSeconds(60))).as("attached").isTrue();
            assertThat(text.toString()).startsWith("Attaching " + bt.probeCount() + " probe");
        }

        /** Waits until {@code seen} holds (what the program printed or counted), at most a minute. */
        void awaitUntil(BooleanSupplier seen, Runnable workload) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!seen.getAsBoolean()) {
                assertThat(System.nanoTime()).as("waited a minute for the one-liner to see the workload; it printed:\n"
                        + text).isLessThan(deadline);
                workload.run();
                Thread.sleep(10);
            }
        }

        /** Ctrl-C: the maps are printed; returns all the output. */
        String interrupt() throws Exception {
            bt.stop();
            return await();
        }

        String await() throws Exception {
            done.get(60, TimeUnit.SECONDS);
            return text.toString();
        }

        @Override
        public void close() {
            bt.close();
        }
    }

    private static String threadComm() throws Exception {
        return Files.readString(Path.of("/proc/thread-self/comm")).strip();
    }

    /** The first line of a refusal: why, at the probe's line and column, and the tracepoint to use instead. */
    private static String kprobeRefusal(String where, String insteadOf) {
        var kprobes = Kprobe.availability();
        String why = kprobes.available() ? "kprobes are not supported by bpf4j bt yet"
                : "kprobes are not available on this kernel (" + kprobes.reason() + ")";
        return where + ": ERROR: " + why + "; use " + insteadOf + " instead";
    }

    @Test
    void lesson1ListsProbes() {
        BtCommandTest.Run r = BtCommandTest.run(with("bt", arguments(ONE_LINERS.get(0))));
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).allMatch(l -> l.startsWith("tracepoint:syscalls:sys_enter_"))
                .contains("tracepoint:syscalls:sys_enter_openat", "tracepoint:syscalls:sys_enter_read");
    }

    @Test
    void lesson2HelloWorld() throws Exception {
        try (Running r = new Running(program(ONE_LINERS.get(1)))) {
            // BEGIN has run once the probes are attached; Ctrl-C then ends it
            assertThat(r.interrupt()).isEqualTo("Attaching 1 probe...\nhello world\n\n\n");
        }
    }

    @Test
    void lesson3FileOpens(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("lesson3-opened.txt"), "x");
        try (Running r = new Running(program(ONE_LINERS.get(2)))) {
            String line = threadComm() + " " + file + "\n";
            r.awaitUntil(() -> r.text.toString().contains(line), () -> readQuietly(file));
            assertThat(r.interrupt()).startsWith("Attaching 1 probe...\n").contains(line);
        }
        BtCommandTest.Run r = BtCommandTest.run(with("bt", arguments(ONE_LINERS.get(3))));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("tracepoint:syscalls:sys_enter_openat\n")
                .contains("    const char *filename;\n");
    }

    @Test
    void lesson4SyscallCountsByProcess() throws Exception {
        try (Running r = new Running(program(ONE_LINERS.get(4)))) {
            String comm = threadComm();
            Files.readString(Path.of("/proc/self/stat"));
            String out = r.interrupt();
            assertThat(out).startsWith("Attaching 1 probe...\n\n\n@[")
                    .containsPattern("\\n@\\[" + java.util.regex.Pattern.quote(comm) + "\\]: [1-9]\\d*\\n");
            assertThat(out.lines().skip(3)).allMatch(l -> l.matches("@\\[.*\\]: \\d+"));
        }
    }

    @Test
    void lesson5DistributionOfReadBytes(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("lesson5.bin"), new byte[3000]);
        // the tutorial's pid is its own example's: this JVM's instead
        String program = program(ONE_LINERS.get(5)).replace("18644", Long.toString(PID));
        try (Running r = new Running(program)) {
            try (FileInputStream in = new FileInputStream(file.toFile())) {
                assertThat(in.read(new byte[8192])).isEqualTo(3000);
            }
            String out = r.interrupt();
            assertThat(out).startsWith("Attaching 1 probe...\n\n\n@bytes: \n")
                    .containsPattern("\\n\\[2K, 4K\\)\\s+[1-9]\\d* \\|@*\\s*\\|\\n");
        }
    }

    @Test
    void lesson6KretprobeIsRefusedWithTheTracepointToUse() {
        BtCommandTest.Run r = BtCommandTest.run(with("bt", arguments(ONE_LINERS.get(6))));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo(kprobeRefusal("stdin:1:1", "tracepoint:syscalls:sys_exit_read") + "\n"
                + program(ONE_LINERS.get(6)) + "\n^\n");
    }

    @Test
    void lesson7KprobeIsRefusedWithTheTracepointToUse() {
        BtCommandTest.Run r = BtCommandTest.run(with("bt", arguments(ONE_LINERS.get(7))));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines().findFirst().orElseThrow())
                .isEqualTo(kprobeRefusal("stdin:1:1", "tracepoint:syscalls:sys_enter_read"));
        assertThat(r.err()).doesNotContain("Exception").endsWith("\n^\n");
    }

    @Test
    void lesson8CountProcessLevelEvents() throws Exception {
        try (Running r = new Running(program(ONE_LINERS.get(8)))) {
            Process child = new ProcessBuilder("/bin/true").start();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            boolean childSeen = !r.done.isDone(); // the one-liner ends itself after 5 s: the child ran before
            String out = r.await();
            assertThat(out).startsWith("Attaching " + r.bt.probeCount() + " probes...\n\n\n@[tracepoint:sched:")
                    .containsPattern("\\n@\\[tracepoint:sched:sched_switch\\]: [1-9]\\d*\\n");
            assertThat(out.lines().skip(3)).allMatch(l -> l.matches("@\\[tracepoint:sched:sched\\w+\\]: \\d+"));
            if (childSeen) {
                assertThat(out).contains("@[tracepoint:sched:sched_process_exec]: ",
                        "@[tracepoint:sched:sched_process_fork]: ", "@[tracepoint:sched:sched_process_exit]: ");
            }
        }
    }

    @Test
    void lesson9ProfileOnCpuKernelStacks(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("lesson9.bin"), new byte[1 << 20]);
        try (Running r = new Running(program(ONE_LINERS.get(9)))) {
            // kernel work (reading a file) until a sample lands in the kernel
            r.awaitUntil(() -> r.bt.map("@").keySet().stream().anyMatch(k -> !k.getFirst().toString().isBlank()),
                    () -> {
                        for (int i = 0; i < 10; i++) readQuietly(file);
                    });
            String out = r.interrupt();
            assertThat(out).startsWith("Attaching 1 probe...\n\n\n@[\n")
                    .containsPattern("\\n@\\[\\n( {4}[\\w.]+\\+\\d+\\n)+\\]: [1-9]\\d*\\n");
        }
    }

    @Test
    void lesson10SchedulerTracing() throws Exception {
        try (Running r = new Running(program(ONE_LINERS.get(10)))) {
            Process child = new ProcessBuilder("/bin/true").start();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String out = r.interrupt();
            // every switch is in the scheduler: the stacks go through __schedule
            assertThat(out).startsWith("Attaching 1 probe...\n\n\n@[\n")
                    .containsPattern("\\n@\\[\\n( {4}[\\w.]+\\+\\d+\\n)*    __schedule\\+\\d+\\n( {4}[\\w.]+\\+\\d+\\n)*"
                            + "\\]: [1-9]\\d*\\n");
        }
    }

    @Test
    void lesson11BlockIoTracing() throws Exception {
        // the build directory, not /tmp: /tmp is often a tmpfs, which issues no block I/O
        Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "lesson11");
        assumeThat(Files.getFileStore(dir).type()).as("a block device behind " + dir + " (it is in memory)")
                .isNotIn("tmpfs", "ramfs");
        try (Running r = new Running(program(ONE_LINERS.get(11)))) {
            // a synced write is issued to the device before force() returns
            try (FileChannel ch = FileChannel.open(dir.resolve("lesson11.bin"), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(64 << 10));
                ch.force(true);
            }
            String out = r.interrupt();
            assertThat(out).startsWith("Attaching 1 probe...\n\n\n@: \n")
                    .containsPattern("\\n\\[\\d+[KM]?, \\d+[KM]?\\)\\s+[1-9]\\d* \\|@+\\s*\\|\\n");
        } finally {
            Files.deleteIfExists(dir.resolve("lesson11.bin"));
            Files.delete(dir);
        }
    }

    @Test
    void lesson12KernelStructTracingIsRefusedWithTheTracepointToUse(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve(arguments(ONE_LINERS.get(12)).getFirst()), PATH_BT);
        BtCommandTest.Run r = BtCommandTest.run("bt", script.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo(kprobeRefusal(script + ":4:1", "tracepoint:syscalls:sys_enter_openat")
                + "\nkprobe:vfs_open\n^\n");
    }

    private static String[] with(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all.toArray(String[]::new);
    }

    private static void readQuietly(Path file) {
        try {
            Files.readAllBytes(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
