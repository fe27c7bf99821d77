package io.bpf4j.tools.sched;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * task_switch sees two threads of this JVM, pinned to one CPU, hand a token back and forth: the switches from one
 * to the other (by thread id) are counted. With {@code --output ctf:DIR} it records a shell blocking in
 * {@code read} as LTTng-style sched_switch events, read back with babeltrace2.
 */
@KernelTest
class TaskSwitchTest {
    private static final int PID = (int) ProcessHandle.current().pid();
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle GETTID = LINKER.downcallHandle(
            LINKER.defaultLookup().find("gettid").orElseThrow(), FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle SETAFFINITY = LINKER.downcallHandle(
            LINKER.defaultLookup().find("sched_setaffinity").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));

    /** Pins the calling thread to CPU 0 and returns its thread id. */
    static int pinToCpu0() throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment set = a.allocate(128); // cpu_set_t
            set.set(JAVA_BYTE, 0, (byte) 1);
            assertThat((int) SETAFFINITY.invokeExact(0, 128L, set)).as("sched_setaffinity").isZero();
        }
        return (int) GETTID.invokeExact();
    }

    @Test
    void countsSwitchesBetweenTwoPingPongingThreads() throws Exception {
        int rounds = 2000;
        SynchronousQueue<Integer> ping = new SynchronousQueue<>(), pong = new SynchronousQueue<>();
        AtomicInteger tidA = new AtomicInteger(), tidB = new AtomicInteger();
        // no duration: 2000 hand-offs on one CPU take as long as the scheduler makes them take on a busy machine
        ToolRun.Running running = ToolRun.start(TaskSwitch.class, "-p", String.valueOf(PID));
        Thread b = Thread.ofPlatform().name("ts-pong").start(() -> {
            try {
                tidB.set(pinToCpu0());
                for (int i = 0; i < rounds; i++) pong.put(ping.take());
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        });
        Thread a = Thread.ofPlatform().name("ts-ping").start(() -> {
            try {
                tidA.set(pinToCpu0());
                for (int i = 0; i < rounds; i++) {
                    ping.put(i);
                    pong.take();
                }
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        });
        a.join(TimeUnit.MINUTES.toMillis(5));
        b.join(TimeUnit.MINUTES.toMillis(5));
        assertThat(a.isAlive() || b.isAlive()).as("the threads made their %d rounds", rounds).isFalse();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Tracing task switches");
        // Each hand-off blocks one thread and wakes the other on the same CPU: most switches go straight from one
        // to the other (a few go through the idle task or another runnable task).
        assertThat(count(r.out(), tidA.get(), tidB.get())).as(r.out()).isGreaterThanOrEqualTo(rounds / 4);
        assertThat(count(r.out(), tidB.get(), tidA.get())).as(r.out()).isGreaterThanOrEqualTo(rounds / 4);
    }

    private static long count(String out, int prev, int next) {
        Matcher m = Pattern.compile("task_switch\\[\\s*" + prev + "->\\s*" + next + "]=(\\d+)").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void jsonLines() throws Exception {
        ToolRun.Running running = ToolRun.start(TaskSwitch.class, "-p", String.valueOf(PID), "--json");
        // switches of this JVM's threads, surely: one that blocks and one that wakes it, a few times
        SynchronousQueue<Integer> q = new SynchronousQueue<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                for (int i = 0; i < 10; i++) q.put(i);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 10; i++) q.take();
        t.join();
        ToolRun r = running.stop();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).isNotEmpty().allSatisfy(l ->
                assertThat(l).matches("\\{\"prev_pid\":\\d+,\"next_pid\":\\d+,\"count\":\\d+}"));
    }

    /** One sched_switch event as babeltrace2's text output shows it. */
    private record Switch(int streamCpu, long ts, int cpu, String prevComm, int prevTid, int prevPrio, long prevState,
                          String nextComm, int nextTid, int nextPrio) {
        static final Pattern LINE = Pattern.compile("^\\[\\d+\\.\\d+] \\(.*?\\) \\S+ sched_switch: "
                + "\\{ cpu_id = (\\d+) }, \\{ ts = (\\d+), cpu = (\\d+), prev_comm = \"(.*)\", prev_tid = (-?\\d+), "
                + "prev_prio = (-?\\d+), prev_state = (-?\\d+), next_comm = \"(.*)\", next_tid = (-?\\d+), "
                + "next_prio = (-?\\d+) }$");

        static Switch parse(String line) {
            Matcher m = LINE.matcher(line);
            assertThat(m.matches()).as("a sched_switch event: %s", line).isTrue();
            return new Switch(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Integer.parseInt(m.group(3)),
                    m.group(4), Integer.parseInt(m.group(5)), Integer.parseInt(m.group(6)),
                    Long.parseLong(m.group(7)), m.group(8), Integer.parseInt(m.group(9)),
                    Integer.parseInt(m.group(10)));
        }
    }

    /** /proc/PID/stat's fields after the comm: [0] is the state, [15] the priority (prio - MAX_RT_PRIO). */
    private static String[] stat(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    }

    private static String comm(long pid) throws Exception {
        return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
    }

    /**
     * Waits until process {@code pid}, named {@code name} (the shell, exec'd), sleeps (state S): after a line
     * written to it, it has woken (a wake-up makes it runnable before the write returns), read the line and blocked
     * in read(2) again.
     */
    private static void awaitBlockedInRead(long pid, String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!(comm(pid).equals(name) && stat(pid)[0].equals("S"))) {
            assertThat(System.nanoTime()).as("the shell execs and blocks in read").isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    @Test
    void recordsEachSwitchAsAnLttngSchedSwitchEventOnItsCpusStream(@TempDir Path dir) throws Exception {
        ToolRun.assumeRoot();
        int reads = 4;
        // a shell under a unique name (comm is the name it was executed by), pinned to CPU 1, that blocks in
        // read(2) on a pipe until this test writes a line, four times, then exits
        String name = "tsw" + System.nanoTime() % 1_000_000_000L;
        Path shell = Files.createSymbolicLink(dir.resolve(name), Path.of("/bin/sh"));
        Path trace = dir.resolve("trace");
        Process child = new ProcessBuilder("taskset", "-c", "1", shell.toString(), "-c",
                "read a; read b; read c; read d")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long pid = child.pid();
            awaitBlockedInRead(pid, name);
            int prio = Integer.parseInt(stat(pid)[15]);
            ToolRun.Running running = ToolRun.start(TaskSwitch.class, "-p", String.valueOf(pid),
                    "--output", "ctf:" + trace);
            OutputStream in = child.getOutputStream();
            for (int i = 0; i < reads; i++) {
                in.write("line\n".getBytes());
                in.flush();
                // one line at a time: the shell reads it and blocks again before the next, so it sleeps in read
                // once per line (written all at once, it could read them all in one go)
                if (i < reads - 1) awaitBlockedInRead(pid, name);
            }
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the shell exits after its reads").isTrue();
            assertThat(child.exitValue()).isZero();
            // The shell's last switch, out of the exiting task, may come after its parent (this JVM) has reaped
            // it; once another task has run on its CPU, it has come (and the tool recorded it).
            Process after = new ProcessBuilder("taskset", "-c", "1", "true").start();
            assertThat(after.waitFor(60, TimeUnit.SECONDS)).as("a task ran on CPU 1 after the shell").isTrue();
            assertThat(after.exitValue()).isZero();
            ToolRun r = running.stop();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).contains("recorded").contains("to ctf:" + trace);

            Path err = Files.createTempFile(dir, "babeltrace2", ".err");
            Process bt = new ProcessBuilder("babeltrace2", "--clock-seconds", trace.toString())
                    .redirectError(err.toFile()).start();
            String text = new String(bt.getInputStream().readAllBytes());
            assertThat(bt.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(bt.exitValue()).as(Files.readString(err)).isZero();
            assertThat(text).doesNotContain("discarded");
            List<Switch> all = text.lines().map(Switch::parse).toList();

            for (int i = 0; i < all.size(); i++) {
                Switch e = all.get(i);
                if (i > 0) assertThat(e.ts()).as("event %d's time", i).isGreaterThanOrEqualTo(all.get(i - 1).ts());
                assertThat(e.cpu()).as("the CPU the shell is pinned to: %s", e).isEqualTo(1);
                assertThat(e.streamCpu()).as("the stream's cpu_id: %s", e).isEqualTo(e.cpu());
            }
            // -p: every switch is into or out of the shell; pinned to one CPU, it is switched in, then out, in turn
            List<Switch> outs = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                Switch e = all.get(i);
                if (i % 2 == 0) {
                    assertThat(e.nextTid()).as("switch %d is into the shell: %s", i, e).isEqualTo((int) pid);
                    assertThat(e.nextComm()).isEqualTo(name);
                    assertThat(e.nextPrio()).as("prio as LTTng and /proc show it").isEqualTo(prio);
                    assertThat(e.prevTid()).isNotEqualTo((int) pid);
                } else {
                    assertThat(e.prevTid()).as("switch %d is out of the shell: %s", i, e).isEqualTo((int) pid);
                    assertThat(e.prevComm()).isEqualTo(name);
                    assertThat(e.prevPrio()).as("prio as LTTng and /proc show it").isEqualTo(prio);
                    assertThat(e.nextTid()).isNotEqualTo((int) pid);
                    outs.add(e);
                }
            }
            assertThat(all).as("in, out, …, out").hasSizeGreaterThanOrEqualTo(2 * reads).hasSize(2 * outs.size());
            // blocked in read: TASK_INTERRUPTIBLE (1) after each read but the last; still runnable: 0x100 when
            // preempted, else 0; its last switch, exiting: EXIT_ZOMBIE (0x20), or EXIT_DEAD (0x10) when this JVM
            // reaped it first
            assertThat(outs.stream().filter(e -> e.prevState() == 1).count()).as("sleeps in read: %s", outs)
                    .isGreaterThanOrEqualTo(reads - 1);
            assertThat(outs.subList(0, outs.size() - 1)).allSatisfy(e ->
                    assertThat(e.prevState()).isIn(1L, 2L, 0x100L, 0L));
            assertThat(outs.getLast().prevState()).as("the exit").isIn(0x10L, 0x20L);

            // the counts (printed as without --output) are of the same switches
            assertThat(r.out()).startsWith("Tracing task switches");
            Matcher counted = Pattern.compile("task_switch\\[\\s*(\\d+)->\\s*(\\d+)]=(\\d+)").matcher(r.out());
            long countedOut = 0, countedIn = 0;
            while (counted.find()) {
                if (Long.parseLong(counted.group(1)) == pid) countedOut += Long.parseLong(counted.group(3));
                if (Long.parseLong(counted.group(2)) == pid) countedIn += Long.parseLong(counted.group(3));
            }
            assertThat(countedOut).as(r.out()).isEqualTo(outs.size());
            assertThat(countedIn).as(r.out()).isEqualTo(all.size() - outs.size());
        } finally {
            child.destroyForcibly().waitFor();
            Files.delete(shell); // the link, not /bin/sh (JUnit warns when it deletes a link out of its directory)
        }
    }
}
