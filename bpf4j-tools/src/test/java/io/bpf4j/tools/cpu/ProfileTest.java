package io.bpf4j.tools.cpu;

import io.bpf4j.testing.KernelTest;
import io.bpf4j.tools.Workload;
import io.bpf4j.tools.ToolRun;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * profile samples a child spinning in a uniquely named function, in user space and in the kernel. The child spins
 * from before the tool starts until after it ends: the tool's own duration holds samples of it, however long the
 * tool took to start.
 */
@KernelTest
class ProfileTest {
    private static final String SPIN = "void FN(void) { for (;;); }\nint main(void) { FN(); return 0; }\n";
    // reads of /dev/zero: most of the time in the kernel (clearing the buffer), called from FN through read_once
    // (which keeps a frame pointer, so FN is found on the user stack under libc's read wrapper)
    private static final String READ = """
            #include <fcntl.h>
            #include <unistd.h>
            static char buf[1 << 20];
            void read_once(int fd) { read(fd, buf, sizeof(buf)); }
            void FN(int fd) { for (;;) read_once(fd); }
            int main(void) { FN(open("/dev/zero", O_RDONLY)); return 0; }
            """;

    // C++: a member function in a namespace called from a function template, both with mangled symbols
    // (_ZN2ns5Klass…Ei, _ZN2ns3runIiEEvT_), which stacks show demangled as perf and bcc do
    private static final String CXX = """
            namespace ns {
            struct Klass {
                volatile unsigned long n = 0;
                __attribute__((noinline)) void FN(int step) { for (;;) n += step; }
            };
            template <typename T> __attribute__((noinline)) void run(T step) { Klass k; k.FN(step); }
            }
            int main() { ns::run<int>(1); return 0; }
            """;

    // two spinning leaves under one caller: two distinct user stacks, each sampled many times
    private static final String TWO_LEAVES = """
            __attribute__((noinline)) void FN_left(void) { for (volatile long i = 0; i < 20000000; i++); }
            __attribute__((noinline)) void FN_right(void) { for (volatile long i = 0; i < 20000000; i++); }
            __attribute__((noinline)) void FN(void) { for (;;) { FN_left(); FN_right(); } }
            int main(void) { FN(); return 0; }
            """;

    @Test
    void aStackTheStackMapHasNoRoomForStillNamesItsInnermostFrame() throws Exception {
        // one bucket in the stack map: the first user stack takes it, the other one is refused (-EEXIST) on every
        // sample; the program keeps the frame the task was in, so its time still goes to the right function
        try (Workload w = Workload.start("leaves", TWO_LEAVES)) {
            ToolRun r = ToolRun.start(Profile.class, "-U", "-f", "-F", "99", "--stack-storage-size", "1", "-p",
                    String.valueOf(w.pid()), "3").finish();
            assertThat(r.exit()).as(r.err()).isZero();
            List<String> lines = r.out().lines().toList();
            String leaf = w.function + "_(left|right)";
            assertThat(lines).as(r.out()).anyMatch(l -> l.matches(w.comm + ";.*;main;" + w.function + ";" + leaf
                    + " [1-9][0-9]*"));
            assertThat(lines).as(r.out()).anyMatch(l -> l.matches(w.comm + ";\\[Missed User Stack\\];" + leaf
                    + " [1-9][0-9]*"));
            assertThat(lines).as("every sample is named by its leaf").allMatch(l -> l.matches(".*;" + leaf
                    + " [1-9][0-9]*") || l.matches(".*;main;" + w.function + " [1-9][0-9]*"));
        }
    }

    @Test
    void cxxFramesAreDemangledInTextAndFoldedOutput() throws Exception {
        try (Workload w = Workload.startCxx("cxx", CXX)) {
            String method = "ns::Klass::" + w.function + "(int)";
            ToolRun text = ToolRun.start(Profile.class, "-U", "-p", String.valueOf(w.pid()), "2").finish();
            assertThat(text.exit()).as(text.err()).isZero();
            assertThat(text.out()).contains("\n    " + method + "\n    void ns::run<int>(int)\n    main\n");
            assertThat(text.out()).doesNotContain("_ZN2ns");

            ToolRun folded = ToolRun.start(Profile.class, "-f", "-p", String.valueOf(w.pid()), "2").finish();
            assertThat(folded.exit()).as(folded.err()).isZero();
            assertThat(folded.out()).containsPattern("(?m)^" + w.comm + ";.*;main;void ns::run<int>\\(int\\);"
                    + java.util.regex.Pattern.quote(method) + " [1-9][0-9]*$");
        }
    }

    @Test
    void foldedShowsTheSpinningFunctionOfTheChild() throws Exception {
        try (Workload w = Workload.start("spin", SPIN)) {
            // The child spins all along; the tool samples it while attached (ToolRun.start returns then) until
            // its 3 s are over. The CPU the child used is measured around that: from when the tool says it is
            // attached (a little after it is) for the lower bound, from before its start for the upper one.
            double cpuBeforeStart = w.cpuSeconds();
            ToolRun.Running running = ToolRun.start(Profile.class, "-f", "-F", "99", "-p", String.valueOf(w.pid()),
                    "3");
            double cpuAttached = w.cpuSeconds();
            ToolRun r = running.finish();
            double cpuAfter = w.cpuSeconds();
            double cpu = cpuAfter - cpuAttached;
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.err()).contains("Sampling at 99 Hertz of PID " + w.pid());
            List<String> lines = r.out().lines().toList();
            assertThat(lines).as(r.out()).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith(w.comm + ";"));
            long samples = lines.stream().filter(l -> l.contains(";main;" + w.function))
                    .mapToLong(l -> Long.parseLong(l.substring(l.lastIndexOf(' ') + 1))).sum();
            // 99 samples per second of CPU the child used while the tool ran
            assertThat(cpu).as("the child's CPU time").isGreaterThan(0.3);
            assertThat(samples).as(r.out()).isBetween((long) (cpu * 99 * 0.4),
                    (long) ((cpuAfter - cpuBeforeStart) * 99 * 1.3) + 10);
        }
    }

    @Test
    void kernelFramesInTextAndFoldedOutput() throws Exception {
        try (Workload w = Workload.start("zread", READ)) {
            ToolRun text = ToolRun.start(Profile.class, "-K", "-p", String.valueOf(w.pid()), "2").finish();
            assertThat(text.exit()).as(text.err()).isZero();
            assertThat(text.out())
                    .startsWith("Sampling at 49 Hertz of PID " + w.pid() + " by kernel stack for 2 secs.");
            // blocks: frames (4 spaces, a kernel symbol), "    -                comm (pid)", "        count"
            List<String> blocks = List.of(text.out().split("\n\n"));
            String mark = String.format("    %-16s %s (%d)", "-", w.comm, w.pid());
            List<String> ours = blocks.stream().filter(b -> b.contains(mark)).toList();
            assertThat(ours).as(text.out()).isNotEmpty().allSatisfy(b -> {
                List<String> l = b.lines().dropWhile(x -> x.startsWith("Sampling")).toList();
                assertThat(l.get(l.size() - 1)).matches(" {8}[1-9][0-9]*");
                assertThat(l.get(l.size() - 2)).isEqualTo(mark);
                assertThat(l.subList(0, l.size() - 2)).allSatisfy(f -> assertThat(f).matches(" {4}[\\w.$\\[\\] ]+"));
            });
            assertThat(text.out()).containsPattern("(?m)^ {4}\\w*syscall\\w*$");
            assertThat(text.out()).doesNotContain(w.function);

            ToolRun folded = ToolRun.start(Profile.class, "-f", "-p", String.valueOf(w.pid()), "2").finish();
            assertThat(folded.exit()).as(folded.err()).isZero();
            // user frames outermost first, then the kernel's, each suffixed _[k]
            assertThat(folded.out()).containsPattern("(?m)^" + w.comm + ";.*;main;" + w.function
                    + ";.*;\\w*syscall\\w*_\\[k\\];.*_\\[k\\] [1-9][0-9]*$");
        }
    }

    @Test
    void jsonLinesPerStack() throws Exception {
        try (Workload w = Workload.start("spin", SPIN)) {
            ToolRun r = ToolRun.start(Profile.class, "--json", "-p", String.valueOf(w.pid()), "2").finish();
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(r.linesWith("\"" + w.function + "\"")).as(r.out()).isNotEmpty().allSatisfy(l -> assertThat(l)
                    .startsWith("{\"comm\":\"" + w.comm + "\",\"pid\":" + w.pid() + ",\"kernel_stack\":[")
                    .containsPattern("\"user_stack\":\\[\"" + w.function + "\",\"main\"")
                    .containsPattern("\"samples\":[1-9][0-9]*}$"));
        }
    }
}
