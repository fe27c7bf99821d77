package io.bpf4j.bpftrace;

import io.bpf4j.core.btf.BtfType;
import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Programs compiled, loaded and run in the kernel of this machine; each triggers its probe after attaching. */
@KernelTest
class BpfTraceKernelTest {
    private static final long PID = ProcessHandle.current().pid();

    /** Runs {@code bt} on another thread; returns its output once it ended. */
    private static final class Running {
        final StringWriter text = new StringWriter();
        final CompletableFuture<Void> done;

        Running(BpfTrace bt) throws InterruptedException {
            PrintWriter out = new PrintWriter(text, true);
            done = CompletableFuture.runAsync(() -> bt.run(out));
            assertThat(bt.awaitAttached(Duration.ofSeconds(30))).as("attached").isTrue();
        }

        String await() throws Exception {
            done.get(60, TimeUnit.SECONDS);
            return text.toString();
        }
    }

    private static String runToExit(String program, Options options) throws Exception {
        try (BpfTrace bt = BpfTrace.compile(program, options)) {
            return new Running(bt).await();
        }
    }

    @Test
    void beginPrintsAndMapsArePrintedAtExitAsBpftraceDoes() throws Exception {
        String out = runToExit("""
                BEGIN {
                  printf("hello %s %d|%-4d|%04x\\n", "world", 42, 7, 255);
                  @x = 3; @s = "str"; @y["a"] = 2; @y["b"] = 1;
                  @c = count(); @c = count(); @sum = sum(5); @sum = sum(-7);
                  @min = min(5); @min = min(-3); @max = max(9); @max = max(4);
                  @avg = avg(4); @avg = avg(7); @stats = stats(10); @stats = stats(20);
                  $i = 0; unroll(3) { $i = $i + 1; @loop[$i] = $i * 10; }
                  @t = 1 > 2 ? "yes" : "no";
                  exit();
                  printf("not reached\\n");
                }
                END { printf("end\\n"); }
                """, Options.defaults());
        assertThat(out).isEqualTo("""
                Attaching 2 probes...
                hello world 42|7   |00ff
                end


                @avg: 5

                @c: 2
                @loop[1]: 10
                @loop[2]: 20
                @loop[3]: 30
                @max: 9
                @min: -3
                @s: str
                @stats: count 2, average 15, total 30

                @sum: -2
                @t: no
                @x: 3
                @y[b]: 1
                @y[a]: 2
                """);
    }

    @Test
    void histogramsPrintBpftraceBars() throws Exception {
        String out = runToExit("BEGIN { @h = hist(0); @h = hist(1); @h = hist(5); @h = hist(5); @h = hist(1500); "
                + "@l = lhist(-1, 0, 30, 10); @l = lhist(25, 0, 30, 10); clear(@gone); @gone = 1; exit(); }",
                Options.defaults().withQuiet(true));
        // clear() is done by user space once it reads the event, as in bpftrace: after BEGIN assigned @gone
        assertThat(out).isEqualTo("""



                @h:\s
                [0]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
                [1]                    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |
                [2, 4)                 0 |                                                    |
                [4, 8)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
                [8, 16)                0 |                                                    |
                [16, 32)               0 |                                                    |
                [32, 64)               0 |                                                    |
                [64, 128)              0 |                                                    |
                [128, 256)             0 |                                                    |
                [256, 512)             0 |                                                    |
                [512, 1K)              0 |                                                    |
                [1K, 2K)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |

                @l:\s
                (..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
                [0, 10)                0 |                                                    |
                [10, 20)               0 |                                                    |
                [20, 30)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|

                """);
    }

    @Test
    void jsonOutputIsBpftraces() throws Exception {
        String out = runToExit("BEGIN { printf(\"a \\\"b\\\"\\n\"); @m[\"k1\"] = 2; @m[\"k2\"] = 3; "
                + "@h = hist(2); @st = stats(4); exit(); }", Options.defaults().withJson(true));
        assertThat(out.lines().filter(l -> !l.isEmpty()).toList()).containsExactly(
                "{\"type\": \"attached_probes\", \"data\": {\"probes\": 1}}",
                "{\"type\": \"printf\", \"data\": \"a \\\"b\\\"\\n\"}",
                "{\"type\": \"hist\", \"data\": {\"@h\": [{\"min\": 2, \"max\": 3, \"count\": 1}]}}",
                "{\"type\": \"map\", \"data\": {\"@m\": {\"k1\": 2, \"k2\": 3}}}",
                "{\"type\": \"stats\", \"data\": {\"@st\": {\"count\": 1, \"average\": 4, \"total\": 4}}}");
    }

    @Test
    void tracepointArgsStrAndBuiltins() throws Exception {
        Path file = Files.createTempFile("bpf4j-bt-", ".txt");
        try (BpfTrace bt = BpfTrace.compile("""
                tracepoint:syscalls:sys_enter_openat /str(args->filename) == $1/ {
                  printf("%s by %d (%s)\\n", str(args->filename), pid, probe);
                  @opens[tid == $2 ? "me" : "other"] = count();
                  @n = @n + 1;
                  if (@n == 3) { exit(); }
                }
                """, Options.defaults().withPositionals(List.of(file.toString(), "0")).withQuiet(true))) {
            Running r = new Running(bt);
            for (int i = 0; i < 3; i++) Files.readString(file);
            String out = r.await();
            assertThat(out).startsWith((file + " by " + PID + " (tracepoint:syscalls:sys_enter_openat)\n")
                    .repeat(3));
            assertThat(bt.map("@opens")).isEqualTo(Map.of(List.of("other"), 3L));
            assertThat(bt.map("@n")).containsEntry(List.of(), 3L);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void stopEndsTracingRunsEndAndPrintsTheMaps() throws Exception {
        Path file = Files.createTempFile("bpf4j-bt-", ".txt");
        try (BpfTrace bt = BpfTrace.compile("""
                t:syscalls:sys_enter_openat /str(args->filename) == $1/ { @[comm, pid] = count(); }
                END { printf("bye\\n"); }
                """, Options.defaults().withPositionals(List.of(file.toString())).withQuiet(true))) {
            Running r = new Running(bt);
            for (int i = 0; i < 2; i++) Files.readString(file);
            bt.stop();
            String out = r.await();
            String comm = Files.readString(Path.of("/proc/thread-self/comm")).strip();
            assertThat(out).isEqualTo("bye\n\n\n@[" + comm + ", " + PID + "]: 2\n");
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void kernelStacksAreMapKeysNamedAsBpftraceNamesThem() throws Exception {
        try (BpfTrace bt = BpfTrace.compile("BEGIN { @[kstack] = count(); @last = kstack; exit(); }",
                Options.defaults().withQuiet(true))) {
            String out = new Running(bt).await();
            // BEGIN runs through BPF_PROG_TEST_RUN: the bpf() system call is on its stack
            assertThat(out).containsPattern("\\n@\\[\\n( {4}[\\w.]+\\+\\d+\\n)*    bpf_prog_test_run_raw_tp\\+\\d+\\n"
                    + "( {4}[\\w.]+\\+\\d+\\n)*\\]: 1\\n");
            assertThat(out).containsPattern("@last: \\n( {8}[\\w.]+\\+\\d+\\n)+");
            Object key = bt.map("@").keySet().iterator().next().getFirst();
            assertThat(key).isInstanceOfSatisfying(io.bpf4j.bpftrace.runtime.StackTrace.class,
                    s -> assertThat(s.frames()).anyMatch(f -> f.startsWith("__sys_bpf+")));
        }
    }

    @Test
    void printfRecordsTheRingBufferHadNoRoomForAreReportedLostAsBpftraceDoes() throws Exception {
        // BEGIN runs once, before anything reads the 1 MiB ring buffer: 3000 records of 368 bytes (header
        // included) cannot all fit, so some are refused — every one must show up printed or counted lost
        int sent = 3000;
        String s = "x".repeat(63);
        try (BpfTrace bt = BpfTrace.compile("BEGIN { $s = \"" + s + "\"; $i = 0; while ($i < " + sent + ") { "
                + "printf(\"%s %s %s %s %s %d %d %d %d\\n\", $s, $s, $s, $s, $s, $i, $i, $i, $i); $i++; } }",
                Options.defaults().withQuiet(true))) {
            Running r = new Running(bt);
            bt.stop();
            String out = r.await();
            long printed = out.lines().filter(l -> l.matches("(" + s + " ){5}(\\d+ ){3}\\d+")).count();
            List<String> lost = out.lines().filter(l -> l.startsWith("Lost ")).toList();
            assertThat(lost).hasSize(1);
            assertThat(lost.getFirst()).matches("Lost \\d+ events");
            long n = Long.parseLong(lost.getFirst().split(" ")[1]);
            assertThat(n).as("lost").isPositive();
            assertThat(printed + n).as("printed + lost").isEqualTo(sent);
        }
    }

    @Test
    void intervalFires() throws Exception {
        String out = runToExit("interval:ms:10 { @ticks = @ticks + 1; if (@ticks == 3) { printf(\"three\\n\"); "
                + "exit(); } }", Options.defaults());
        // exit() ends tracing once user space reads its event, as in bpftrace: on a busy machine that can be more
        // than 10 ms later, and the timer then fires again before it is detached
        assertThat(out).matches("Attaching 1 probe...\nthree\n\n\n@ticks: ([3-9]|\\d{2,})\n");
    }

    @Test
    @SuppressWarnings("restricted") // the downcalls that trigger the probes; surefire enables native access
    void uprobeArgumentsAndUretprobeReturnValue() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MethodHandle getpid = linker.downcallHandle(linker.defaultLookup().find("getpid").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        MethodHandle abs = linker.downcallHandle(linker.defaultLookup().find("labs").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        try (BpfTrace bt = BpfTrace.compile("""
                uprobe:libc:labs /pid == $1/ { printf("labs(%d) in %s\\n", arg0, func); }
                uretprobe:libc:getpid /pid == $1/ { printf("getpid() = %d\\n", retval); exit(); }
                """, Options.defaults().withPositionals(List.of(Long.toString(PID)))
                .withQuiet(true))) {
            Running r = new Running(bt);
            long ignored = (long) abs.invokeExact(-1234L);
            int me = (int) getpid.invokeExact();
            assertThat(ignored).isEqualTo(1234);
            assertThat(r.await()).startsWith("labs(-1234) in labs\ngetpid() = " + me + "\n");
        }
    }

    @Test
    void structsPointersCastsTuplesAndLoops() throws Exception {
        String out = runToExit("""
                struct Foo { int m; char c[3]; unsigned int a:4, b:8; }
                BEGIN {
                  $t = (1, (int8)-2, "str", (4, 5));
                  printf("%d %d %s %d|", $t.0, $t.1, $t.2, $t.3.1);
                  printf("%d %d %d|", (uint8)-10, (int16)65535, sizeof(struct Foo));
                  $i = 0; while ($i < 5) { $i++; if ($i == 4) { break; } }
                  printf("%d %d|", $i, $i++ + ++$i);
                  $p = (struct Foo *)0;
                  printf("%d %s|", $p->m, $p->c);
                  printf("%d %d\\n", curtask->pid == tid, curtask->real_parent->pid > 0);
                  @tuple = (1, "a", (int16)-3);
                  exit();
                }
                """, Options.defaults().withQuiet(true));
        assertThat(out).startsWith("1 -2 str 5|246 -1 12|4 10|0 |1 1\n");
        assertThat(out).contains("@tuple: (1, a, -3)");
    }

    @Test
    void kernelEnumeratorsComeFromBtfAndTheToolsHeaderMacrosNeedNoHeaders() throws Exception {
        // tcpdrop.bt and runqlat.bt: an enumerator of the kernel's types, and macros of the headers they include
        long notSpecified = KernelBtf.vmlinux().types().stream()
                .filter(t -> t instanceof BtfType.Enum e && e.name().equals("skb_drop_reason"))
                .flatMap(t -> ((BtfType.Enum) t).values().stream())
                .filter(v -> v.name().equals("SKB_DROP_REASON_NOT_SPECIFIED")).findFirst().orElseThrow().value();
        String out = runToExit("""
                #include <linux/sched.h>
                #include <sys/socket.h>
                BEGIN { printf("%d %d %d %d\\n", TASK_RUNNING, AF_INET, AF_INET6, SKB_DROP_REASON_NOT_SPECIFIED);
                        exit(); }
                """, Options.defaults().withQuiet(true));
        assertThat(out).startsWith("0 2 10 " + notSpecified + "\n");
    }

    @Test
    void variablesOfNestedIfsShareOneSlotEach() throws Exception {
        // five 64-byte strings assigned two ifs deep: 320 bytes of stack once, not once per level (960 > 512)
        String out = runToExit("""
                BEGIN { if (pid) { if (pid) { $a = "a"; $b = "b"; $c = "c"; $d = "d"; $e = "e"; }
                        else { $a = "x"; } printf("%s%s%s%s%s\\n", $a, $b, $c, $d, $e); } exit(); }
                """, Options.defaults().withQuiet(true));
        assertThat(out).startsWith("abcde\n");
    }

    @Test
    void aUprobeOnAGlibcStubLibraryAttachesToLibc() throws Exception {
        // threadsnoop.bt: uprobe:libpthread:pthread_create; glibc >= 2.34 has it in libc, libpthread.so.0 a stub
        try (BpfTrace bt = BpfTrace.compile("""
                uprobe:libpthread:pthread_create /pid == $1/ { printf("pthread_create in %s\\n", comm); exit(); }
                """, Options.defaults().withPositionals(List.of(Long.toString(PID))).withQuiet(true))) {
            Running r = new Running(bt);
            Thread t = Thread.ofPlatform().name("bt-thread").start(() -> { });
            t.join();
            assertThat(r.await()).startsWith("pthread_create in ");
        }
    }
}
