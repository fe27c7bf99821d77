package io.bpf4j.core.link;

import io.bpf4j.core.Await;
import io.bpf4j.core.BpfMap;
import io.bpf4j.core.Cpus;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.error.BpfException;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.core.symbols.ElfSymbols;
import io.bpf4j.core.symbols.Frame;
import io.bpf4j.core.symbols.KernelSymbols;
import io.bpf4j.core.symbols.Symbolizer;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** perf_event programs sampling cpu-clock on every CPU, with kernel and user stacks symbolized. */
@KernelTest
class PerfEventTest {
    private static final int BPF_F_USER_STACK = 1 << 8;

    @BeforeAll
    static void root() {
        assumeTrue(Host.isRoot(), "sampling perf events for all processes needs root");
    }

    /**
     * On each sample of process {@code pid}: {@code id = bpf_get_stackid(ctx, stacks, flags)}; {@code counts[id]++}
     * (negative ids, i.e. errors such as -EFAULT for a user-mode sample's kernel stack, are counted too).
     */
    static Program stackCounter(BpfMap stacks, BpfMap counts, long pid, int flags) {
        return Program.load(ProgramSpec.of("bpf4j_pe_stacks", ProgramType.PERF_EVENT, new Assembler()
                .mov64(Register.R6, Register.R1)
                .call(Helper.GET_CURRENT_PID_TGID)
                .rsh64(Register.R0, 32)
                .jne(Register.R0, (int) pid, "out")
                .mov64(Register.R1, Register.R6)
                .loadMapFd(Register.R2, stacks)
                .mov64(Register.R3, flags)
                .call(Helper.GET_STACKID)
                .stxW(Register.R10, -4, Register.R0)
                .loadMapFd(Register.R1, counts)
                .mov64(Register.R2, Register.R10)
                .add64(Register.R2, -4)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(Register.R0, 0, "new")
                .mov64(Register.R1, 1)
                .atomicAdd(Size.DW, Register.R0, 0, Register.R1)
                .ja("out")
                .label("new")
                .stDW(Register.R10, -16, 1)
                .loadMapFd(Register.R1, counts)
                .mov64(Register.R2, Register.R10)
                .add64(Register.R2, -4)
                .mov64(Register.R3, Register.R10)
                .add64(Register.R3, -16)
                .mov64(Register.R4, 0)
                .call(Helper.MAP_UPDATE_ELEM)
                .label("out")
                .mov64(Register.R0, 0)
                .exit()
                .build()));
    }

    static BpfMap counts() {
        return BpfMap.create(MapSpec.builder(MapType.HASH).name("pe_counts").keySize(4).valueSize(8)
                .maxEntries(4096).build());
    }

    /** Stack id → samples, errors (negative ids) included. */
    static Map<Integer, Long> read(BpfMap counts) {
        Map<Integer, Long> out = new LinkedHashMap<>();
        counts.entries().forEach(e -> out.put(MemorySegment.ofArray(e.getKey()).get(JAVA_INT_UNALIGNED, 0),
                MemorySegment.ofArray(e.getValue()).get(JAVA_LONG_UNALIGNED, 0)));
        return out;
    }

    @Test
    void cpuClockOnAllCpusCapturesKernelStacksThatSymbolize() throws Exception {
        Process dd = new ProcessBuilder("dd", "if=/dev/zero", "of=/dev/null", "bs=4k").start();
        Symbolizer sym = new Symbolizer();
        KernelSymbols ksyms = sym.kernelSymbols();
        try (BpfMap stacks = BpfMap.create(MapSpec.stackTrace("pe_kstacks", 127, 1024));
             BpfMap counts = counts();
             Program prog = stackCounter(stacks, counts, dd.pid(), 0)) {
            PerfEvent.Attachment a = PerfEvent.attach(prog,
                    PerfEvent.Spec.software(PerfEvent.Software.CPU_CLOCK).frequency(1000));
            try (a) {
                assertThat(a.links()).hasSize(Cpus.online().size());
                assertThat(a.links().getFirst().info().type()).as("a perf_event BPF link").isEqualTo(7);
                System.out.println(a);
                // dd runs as much as the machine lets it: sample until 200 of its samples are in (a fifth of a
                // second of its CPU time), kernel stacks among them
                Await.until("200 samples of dd, kernel stacks among them", () -> {
                    Map<Integer, Long> now = read(counts);
                    return now.values().stream().mapToLong(Long::longValue).sum() >= 200
                            && now.keySet().stream().anyMatch(k -> k >= 0);
                });
            }
            assertThat(a.links()).allSatisfy(l -> assertThat(l.toString()).contains("closed"));
            Map<Integer, Long> byId = read(counts);
            long samples = byId.values().stream().mapToLong(Long::longValue).sum();
            System.out.println("cpu-clock @1000 Hz, dd pid " + dd.pid() + ": " + samples + " samples in "
                    + byId.keySet().stream().filter(k -> k >= 0).count() + " distinct kernel stacks; errors: "
                    + byId.entrySet().stream().filter(e -> e.getKey() < 0)
                    .map(e -> e.getKey() + " x" + e.getValue()).toList()
                    + " (-14 EFAULT: sample taken in user mode, no kernel stack; -17 EEXIST: stack map bucket taken)");
            assertThat(samples).as("samples of dd").isGreaterThan(0);
            List<Map.Entry<Integer, Long>> ok = byId.entrySet().stream().filter(e -> e.getKey() >= 0)
                    .sorted(Map.Entry.<Integer, Long>comparingByValue().reversed()).toList();
            assertThat(ok).as("kernel stacks captured").isNotEmpty();
            Set<String> names = new java.util.HashSet<>();
            int printed = 0;
            for (Map.Entry<Integer, Long> e : ok) {
                long[] addrs = stacks.stackTrace(e.getKey()).orElseThrow();
                List<Frame> frames = sym.kernel(addrs);
                for (Frame f : frames) {
                    assertThat(f.kind()).isEqualTo(Frame.Kind.KERNEL);
                    if (f.resolved()) names.add(f.symbol());
                }
                if (printed++ < 4) {
                    System.out.println("stack " + e.getKey() + " (" + e.getValue() + " samples):");
                    frames.forEach(f -> System.out.println("    " + f));
                }
            }
            assertThat(names).as("symbols of the sampled kernel stacks").isNotEmpty()
                    .allSatisfy(n -> assertThat(ksyms.contains(n)).isTrue());
            assertThat(names).as("dd's read/write syscall path")
                    .containsAnyOf("do_syscall_64", "entry_SYSCALL_64_after_hwframe", "ksys_read", "ksys_write",
                            "vfs_read", "vfs_write", "read_zero", "__x64_sys_read", "__x64_sys_write",
                            "x64_sys_call", "iov_iter_zero", "clear_user");
        } finally {
            dd.destroyForcibly().waitFor();
        }
    }

    @Test
    void userStacksOfACompiledChildResolveToItsFunction(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/gcc")), "needs gcc to build the child process");
        Path src = Files.writeString(dir.resolve("spin.c"), """
                volatile unsigned long bpf4j_counter;
                __attribute__((noinline)) void bpf4j_spin(void) { for (;;) bpf4j_counter++; }
                int main(void) { bpf4j_spin(); return 0; }
                """);
        Path exe = dir.resolve("bpf4j-spin");
        Commands.check("gcc", "-O0", "-g", "-fno-omit-frame-pointer", "-o", exe.toString(), src.toString());
        Process child = new ProcessBuilder(exe.toString()).start();
        try (BpfMap stacks = BpfMap.create(MapSpec.stackTrace("pe_ustacks", 127, 1024));
             BpfMap counts = counts();
             Program prog = stackCounter(stacks, counts, child.pid(), BPF_F_USER_STACK)) {
            try (PerfEvent.Attachment a = PerfEvent.attach(prog,
                    PerfEvent.Spec.software(PerfEvent.Software.CPU_CLOCK).frequency(999).pid((int) child.pid()))) {
                // the child spins, and runs when the machine lets it: sample until 100 of its samples are in
                Await.until("100 samples of the child", () ->
                        read(counts).values().stream().mapToLong(Long::longValue).sum() >= 100);
            }
            Map<Integer, Long> byId = read(counts);
            System.out.println("user stacks of " + exe + " (pid " + child.pid() + "): " + byId);
            Symbolizer sym = new Symbolizer();
            List<String> inner = new ArrayList<>();
            for (Map.Entry<Integer, Long> e : byId.entrySet()) {
                if (e.getKey() < 0) continue;
                List<Frame> frames = sym.user(child.pid(), stacks.stackTrace(e.getKey()).orElseThrow());
                System.out.println("stack " + e.getKey() + " (" + e.getValue() + " samples):");
                frames.forEach(f -> System.out.println("    " + f));
                inner.add(frames.getFirst().symbol());
                if (frames.getFirst().symbol() != null && frames.getFirst().symbol().equals("bpf4j_spin")) {
                    assertThat(frames.getFirst().module()).isEqualTo(exe.toString());
                    assertThat(frames.getFirst().kind()).isEqualTo(Frame.Kind.USER);
                    assertThat(frames.stream().map(Frame::symbol).toList()).as("the caller, through frame pointers")
                            .contains("main");
                }
            }
            assertThat(inner).as("innermost user frames").contains("bpf4j_spin");
            ElfSymbols elf = sym.process(child.pid()).file(exe.toString()).orElseThrow();
            System.out.println(elf);
            assertThat(elf.buildId()).as("gcc's build id note").isPresent();
        } finally {
            child.destroyForcibly().waitFor();
        }
    }

    @Test
    void hardwareEventsFailClearlyWithoutAPmu() {
        assumeTrue(!Files.isDirectory(Path.of("/sys/bus/event_source/devices/cpu")),
                "this machine has a hardware PMU: the no-PMU message cannot be provoked");
        try (BpfMap stacks = BpfMap.create(MapSpec.stackTrace("pe_hw", 127, 16));
             BpfMap counts = counts();
             Program prog = stackCounter(stacks, counts, 1, 0)) {
            assertThatThrownBy(() -> PerfEvent.attach(prog, PerfEvent.Spec.hardware(PerfEvent.Hardware.CPU_CYCLES)
                    .period(1_000_000)))
                    .isInstanceOf(BpfException.class)
                    .hasMessageContaining("no hardware PMU (virtual machine?)")
                    .hasMessageContaining("cycles")
                    .satisfies(e -> System.out.println("hardware event: " + e.getMessage()));
        }
    }

    @Test
    void onlyPerfEventProgramsAttach() {
        try (Program p = Program.load(ProgramSpec.of("xdp_pass", ProgramType.XDP,
                new Assembler().mov64(Register.R0, 2).exit().build()))) {
            assertThatThrownBy(() -> PerfEvent.attach(p, PerfEvent.Spec.software(PerfEvent.Software.CPU_CLOCK)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("only perf_event programs");
        }
        assertThatThrownBy(() -> PerfEvent.Spec.software(PerfEvent.Software.CPU_CLOCK).frequency(0))
                .hasMessageContaining("frequency must be > 0");
    }

    @Test
    void taskClockWithPeriodSamplesOneProcess() throws Exception {
        Process dd = new ProcessBuilder("dd", "if=/dev/zero", "of=/dev/null", "bs=4k").start();
        try (BpfMap stacks = BpfMap.create(MapSpec.stackTrace("pe_task", 127, 256));
             BpfMap counts = counts();
             Program prog = stackCounter(stacks, counts, dd.pid(), 0)) {
            try (PerfEvent.Attachment a = PerfEvent.attach(prog, PerfEvent.Spec
                    .software(PerfEvent.Software.TASK_CLOCK).period(1_000_000).pid((int) dd.pid()))) {
                Await.until("a sample of dd", () -> !read(counts).isEmpty());
            }
            long samples = read(counts).values().stream().mapToLong(Long::longValue).sum();
            System.out.println("task-clock every 1 ms of dd: " + samples + " samples");
            assertThat(samples).isGreaterThan(0);
        } finally {
            dd.destroyForcibly().waitFor();
        }
    }
}
