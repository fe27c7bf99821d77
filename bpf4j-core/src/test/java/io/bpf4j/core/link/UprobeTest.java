package io.bpf4j.core.link;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.BpfObject;
import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.Size;
import io.bpf4j.core.kernel.Host;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Uprobes, uretprobes, uprobe_multi and USDT probes on a test binary compiled here, libc and libjvm.so. */
@KernelTest
class UprobeTest {
    static final Path SOURCES = Path.of("src/test/c/uprobe");
    static final int N = 7;
    /** x86_64 struct pt_regs offsets. */
    static final int DI = 112, AX = 80;

    @TempDir
    static Path dir;
    static Path target;

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue(Host.isRoot(), "uprobes need root");
        assumeTrue(Files.exists(Path.of("/sys/bus/event_source/devices/uprobe/type")), "no uprobe PMU");
        assumeTrue(Files.exists(Path.of("/usr/include/sys/sdt.h"))
                || Files.exists(Path.of("/usr/include/x86_64-linux-gnu/sys/sdt.h")), "sys/sdt.h missing: apt-get install "
                + "systemtap-sdt-dev");
        target = dir.resolve("bpf4j-target");
        String out = run(List.of("gcc", "-O2", "-fPIE", "-pie", "-o", target.toString(),
                SOURCES.resolve("target.c").toString()));
        assumeTrue(Files.exists(target), "gcc failed: " + out);
    }

    static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(command + " finished").isTrue();
        return out;
    }

    static void runTarget(int n) throws Exception {
        run(List.of(target.toString(), Integer.toString(n)));
    }

    static BpfMap counters() {
        return BpfMap.create(MapSpec.builder(MapType.ARRAY).name("up_counts").keySize(4).valueSize(8)
                .maxEntries(4).build());
    }

    static long get(BpfMap map, int key) {
        byte[] k = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(0, key).array();
        return ByteBuffer.wrap(map.lookup(k).orElseThrow()).order(ByteOrder.nativeOrder()).getLong();
    }

    /** A kprobe-type program: counts[0] += 1; counts[1] += (u32) pt_regs[regOffset] (when regOffset >= 0). */
    static Program counting(BpfMap counts, int regOffset, AttachType expected) {
        Assembler a = new Assembler().mov64(Register.R6, Register.R1);
        add(a, counts, 0, -1, "a");
        if (regOffset >= 0) add(a, counts, 1, regOffset, "b");
        a.mov64(Register.R0, 0).exit();
        ProgramSpec spec = ProgramSpec.of("bpf4j_uprobe", ProgramType.KPROBE, a.build()).withLicense("GPL");
        if (expected != null) spec = spec.withExpectedAttachType(expected);
        return Program.load(spec);
    }

    private static void add(Assembler a, BpfMap counts, int key, int regOffset, String label) {
        a.loadMapFd(Register.R1, counts)
                .stW(Register.R10, -4, key)
                .mov64(Register.R2, Register.R10)
                .add64(Register.R2, -4)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(Register.R0, 0, label);
        if (regOffset < 0) {
            a.mov64(Register.R1, 1);
        } else {
            a.ldxDW(Register.R1, Register.R6, regOffset).mov32(Register.R1, Register.R1);
        }
        a.atomicAdd(Size.DW, Register.R0, 0, Register.R1).label(label);
    }

    static long sumOfArgs() {
        long s = 0;
        for (int i = 0; i < N; i++) s += 100 + i;
        return s;
    }

    @Test
    void uprobeCountsCallsAndRecordsTheArgument() throws Exception {
        try (BpfMap counts = counters(); Program prog = counting(counts, DI, null)) {
            try (Link link = Uprobe.attach(prog, target, "bpf4j_target", false, -1)) {
                assertThat(link.description()).contains("uprobe").contains("bpf4j_target");
                runTarget(N);
                assertThat(get(counts, 0)).as("calls").isEqualTo(N);
                assertThat(get(counts, 1)).as("sum of arguments").isEqualTo(sumOfArgs());
            }
            runTarget(N);
            assertThat(get(counts, 0)).as("nothing once detached").isEqualTo(N);
        }
    }

    @Test
    void uretprobeSeesTheReturnValue() throws Exception {
        try (BpfMap counts = counters(); Program prog = counting(counts, AX, null);
             Link link = Uprobe.attach(prog, target, "bpf4j_target", true, -1)) {
            runTarget(N);
            assertThat(get(counts, 0)).isEqualTo(N);
            assertThat(get(counts, 1)).as("sum of x*2+1").isEqualTo(2 * sumOfArgs() + N);
        }
    }

    @Test
    void attachByOffsetAndPidFilter() throws Exception {
        long offset = Uprobe.offset(target, "bpf4j_target");
        assertThat(offset).isPositive();
        try (BpfMap counts = counters(); Program prog = counting(counts, -1, null);
             Link link = Uprobe.attach(prog, target, offset, false, (int) ProcessHandle.current().pid())) {
            runTarget(N);
            assertThat(get(counts, 0)).as("another process: filtered out").isZero();
        }
    }

    @Test
    void pidFilterFollowsTheChildThroughExec() throws Exception {
        // The child waits for a line on stdin, then execs the target: its pid is known before the probe can fire.
        Process child = new ProcessBuilder("/bin/sh", "-c", "read x; exec " + target + " " + N).start();
        try (BpfMap counts = counters(); Program prog = counting(counts, DI, null);
             Link link = Uprobe.attach(prog, target, "bpf4j_target", false, (int) child.pid())) {
            runTarget(N); // another process: not counted
            child.getOutputStream().write('\n');
            child.getOutputStream().close();
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(get(counts, 0)).as("only the child's calls").isEqualTo(N);
            assertThat(get(counts, 1)).isEqualTo(sumOfArgs());
        } finally {
            child.destroy();
        }
    }

    @Test
    void uprobeMultiAttachesManySymbolsWithOneLink() throws Exception {
        assumeTrue(Uprobe.multiSupported(), "uprobe_multi needs Linux 6.6+");
        try (BpfMap counts = counters(); Program prog = counting(counts, DI, AttachType.TRACE_UPROBE_MULTI);
             Link link = Uprobe.attachMulti(prog, target, List.of("bpf4j_target", "bpf4j_other"), false, -1)) {
            runTarget(N);
            assertThat(get(counts, 0)).isEqualTo(2L * N);
            long others = 0;
            for (int i = 0; i < N; i++) others += i;
            assertThat(get(counts, 1)).isEqualTo(sumOfArgs() + others);
        }
    }

    @Test
    void libcByShortName() throws Exception {
        Path libc = Uprobe.resolve("c");
        assertThat(libc.getFileName().toString()).startsWith("libc.so");
        assertThat(Uprobe.resolve("libc")).isEqualTo(libc);
        try (BpfMap counts = counters(); Program prog = counting(counts, -1, null);
             Link link = Uprobe.attach(prog, "c:exit", false, -1)) {
            run(List.of("/bin/true"));
            assertThat(get(counts, 0)).as("exit() calls").isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void clearErrors() {
        try (BpfMap counts = counters(); Program prog = counting(counts, -1, null)) {
            assertThatThrownBy(() -> Uprobe.attach(prog, target, "bpf4j_targt", false, -1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no function 'bpf4j_targt'").hasMessageContaining("bpf4j_target");
            assertThatThrownBy(() -> Uprobe.attach(prog, dir.resolve("nope"), "main", false, -1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not exist");
            assertThatThrownBy(() -> Uprobe.resolve("bpf4j-no-such-lib"))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    // --- USDT ---------------------------------------------------------------------------------------------------

    @Test
    void usdtNotesAreParsed() {
        List<Usdt.Probe> probes = Usdt.probes(target);
        assertThat(probes).extracting(Usdt.Probe::name).containsExactly("tick", "sema");
        Usdt.Probe p = probes.getFirst();
        assertThat(p.provider()).isEqualTo("bpf4j");
        assertThat(p.fileOffset()).isPositive();
        assertThat(p.semaphoreOffset()).as("the semaphore's file offset, in .probes").isPositive();
        assertThat(p.args()).hasSize(2);
        assertThat(p.args().get(0).kind()).isIn(Usdt.Kind.REGISTER, Usdt.Kind.REGISTER_DEREF);
        assertThat(p.args().get(0).size()).isEqualTo(4);
        assertThat(p.args().get(0).signed()).isTrue();
        assertThat(p.args().get(1).kind()).isEqualTo(Usdt.Kind.CONST);
        assertThat(p.args().get(1).value()).isEqualTo(42);
        assertThatThrownBy(() -> Usdt.find(target, "bpf4j", "tock"))
                .hasMessageContaining("no USDT probe bpf4j:tock").hasMessageContaining("bpf4j:tick");
    }

    @Test
    void argumentSpecs() {
        List<Usdt.Argument> args = Usdt.parseArguments("-4@%edi 8@-16(%rbp) 4@$-3 8@(%r12) 2@%r9w 8@foo(%rip)");
        assertThat(args).extracting(Usdt.Argument::kind).containsExactly(Usdt.Kind.REGISTER,
                Usdt.Kind.REGISTER_DEREF, Usdt.Kind.CONST, Usdt.Kind.REGISTER_DEREF, Usdt.Kind.REGISTER,
                Usdt.Kind.UNSUPPORTED);
        assertThat(args.get(0).ptRegsOffset()).isEqualTo(112);
        assertThat(args.get(1).value()).isEqualTo(-16);
        assertThat(args.get(1).ptRegsOffset()).isEqualTo(32);
        assertThat(args.get(2).value()).isEqualTo(-3);
        assertThat(args.get(3).register()).isEqualTo("r12");
        assertThat(args.get(4).register()).isEqualTo("r9");
        Usdt.Argument indexed = Usdt.parseArguments("-2@-88(%rsp,%r10d,4)").getFirst();
        assertThat(indexed.kind()).isEqualTo(Usdt.Kind.INDEXED_DEREF);
        assertThat(indexed.ptRegsOffset()).isEqualTo(152);
        assertThat(indexed.indexRegister()).isEqualTo("r10");
        assertThat(indexed.indexPtRegsOffset()).isEqualTo(56);
        assertThat(indexed.scale()).isEqualTo(4);
        assertThat(indexed.value()).isEqualTo(-88);
        assertThat(indexed.size()).isEqualTo(2);
        assertThat(indexed.signed()).isTrue();
        assertThat(Usdt.parseArguments("8@(%rax,%rbx)").getFirst().scale()).isEqualTo(1);
    }

    @Test
    void usdtPlainProgramCountsHits() throws Exception {
        try (BpfMap counts = counters(); Program prog = counting(counts, -1, null);
             Link link = Usdt.attach(prog, target, "bpf4j", "tick", -1)) {
            assertThat(link.description()).contains("bpf4j:tick");
            runTarget(N);
            assertThat(get(counts, 0)).isEqualTo(N);
        }
    }

    @Test
    void semaphoreIsSetByTheKernelWhileAttached() throws Exception {
        try (BpfMap counts = counters(); Program prog = counting(counts, DI, null)) {
            try (Link link = Usdt.attach(prog, target, "bpf4j", "sema", -1)) {
                runTarget(N);
            }
            assertThat(get(counts, 0)).as("bpf4j:sema fires only when its semaphore is non-zero").isEqualTo(N);
            runTarget(N);
            assertThat(get(counts, 0)).isEqualTo(N);
        }
    }

    @Test
    void libbpfUsdtProgramWorksUnchanged() throws Exception {
        Path object = dir.resolve("usdt_libbpf.bpf.o");
        String out = run(List.of("clang-19", "-target", "bpf", "-O2", "-g", "-D__TARGET_ARCH_x86",
                "-I", "/usr/include/x86_64-linux-gnu", "-c", SOURCES.resolve("usdt_libbpf.bpf.c").toString(),
                "-o", object.toString()));
        assumeTrue(Files.exists(object), "clang-19 failed: " + out);
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(object))) {
            Program prog = obj.program("on_tick");
            try (Link link = Usdt.attach(obj, prog, target + ":bpf4j:tick", -1)) {
                runTarget(N);
            }
            BpfMap outMap = obj.map("usdt_out");
            assertThat(get(outMap, 0)).as("hits").isEqualTo(N);
            assertThat(get(outMap, 1)).as("sum of i").isEqualTo((long) N * (N - 1) / 2);
            assertThat(get(outMap, 2)).as("the constant argument").isEqualTo(42);
        }
    }

    @Test
    void hotspotGcProbes() throws Exception {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path libjvm = javaHome.resolve("lib/server/libjvm.so");
        assumeTrue(Files.exists(libjvm), "no " + libjvm);
        List<Usdt.Probe> probes = Usdt.probes(libjvm);
        assertThat(probes.size()).as("HotSpot's stapsdt probes").isGreaterThan(400);
        // Two sites in JDK 25 (one per GC entry path): one Link holds a uprobe on each.
        assertThat(Usdt.find(libjvm, "hotspot", "gc__begin")).isNotEmpty();
        assertThat(probes).anySatisfy(p -> assertThat(p.name()).isEqualTo("class__loaded"));
        Path src = dir.resolve("Gc.java");
        Files.writeString(src, "class Gc { public static void main(String[] a) { for (int i = 0; i < 5; i++) "
                + "System.gc(); } }");
        try (BpfMap counts = counters(); Program prog = counting(counts, -1, null);
             Link link = Usdt.attach(prog, libjvm, "hotspot", "gc__begin", -1)) {
            List<String> cmd = new ArrayList<>(List.of(javaHome.resolve("bin/java").toString(),
                    "-XX:+UseSerialGC", "-Xshare:auto", src.toString()));
            long t0 = System.nanoTime();
            String out = run(cmd);
            System.err.printf("UprobeTest: %d HotSpot probe sites; gc__begin hits %d for 5 System.gc(); child JVM "
                    + "%.0f ms%n", probes.size(), get(counts, 0), (System.nanoTime() - t0) / 1e6);
            assertThat(get(counts, 0)).as("gc__begin hits; child said: " + out).isGreaterThanOrEqualTo(5);
        }
    }
}
