package io.bpf4j.tools.sched;

import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.SynchronousQueue;
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
 * to the other (by thread id) are counted.
 */
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
        ToolRun.Running running = ToolRun.start(TaskSwitch.class, "-p", String.valueOf(PID), "-d", "4");
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
        a.join(30_000);
        b.join(30_000);
        ToolRun r = running.finish();
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
        ToolRun.Running running = ToolRun.start(TaskSwitch.class, out -> true, "-p", String.valueOf(PID),
                "--json", "-d", "1");
        ToolRun r = running.finish();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().lines()).isNotEmpty().allSatisfy(l ->
                assertThat(l).matches("\\{\"prev_pid\":\\d+,\"next_pid\":\\d+,\"count\":\\d+}"));
    }
}
