package io.bpf4j.core.btf;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

@KernelTest
class KernelBtfTest {
    static final Path VMLINUX = KernelBtf.SYSFS.resolve("vmlinux");

    /** Runs a command, returning its stdout; null when the program is not installed. */
    static String run(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            return null;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd)).isZero();
        return out;
    }

    static boolean bpftoolInstalled() {
        return Files.isExecutable(Path.of("/usr/sbin/bpftool")) || Files.isExecutable(Path.of("/usr/bin/bpftool"));
    }

    @Test
    void vmlinuxIsSharedAndFindsTaskStruct() {
        Btf btf = KernelBtf.vmlinux();
        assertThat(KernelBtf.vmlinux()).isSameAs(btf);
        int id = btf.typeId("task_struct", BtfKind.STRUCT).orElseThrow();
        BtfType.Struct task = btf.type(id, BtfType.Struct.class);
        assertThat(btf.sizeOf(id)).isEqualTo(task.size()).isGreaterThan(1000);
        BtfType.Member pid = task.members().stream().filter(m -> m.name().equals("pid")).findFirst().orElseThrow();
        assertThat(btf.type(btf.resolve(pid.type()))).isEqualTo(BtfType.Int.of("int", 4, true));
        assertThat(btf.alignOf(id)).isGreaterThanOrEqualTo(8);
        assertThat(btf.typeId("u64", BtfKind.TYPEDEF)).isPresent();
        assertThat(btf.find(BtfType.Func.class, "schedule")).isPresent();
    }

    @Test
    void vmlinuxRawDumpIsBpftools() throws Exception {
        assumeThat(bpftoolInstalled()).as("bpftool is not installed (apt-get install bpftool)").isTrue();
        String expected = run("bpftool", "btf", "dump", "file", VMLINUX.toString());
        StringWriter mine = new StringWriter();
        KernelBtf.vmlinux().writeRaw(mine);
        // compare line by line first: a failure then names the first differing line, not a 30 MB blob
        List<String> a = mine.toString().lines().toList(), b = expected.lines().toList();
        for (int i = 0; i < Math.min(a.size(), b.size()); i++)
            assertThat(a.get(i)).as("line " + (i + 1)).isEqualTo(b.get(i));
        assertThat(a.size()).isEqualTo(b.size());
    }

    @Test
    void vmlinuxRoundTrips() {
        Btf btf = KernelBtf.vmlinux();
        Btf again = Btf.parse(btf.encode());
        assertThat(again.typeCount()).isEqualTo(btf.typeCount());
        assertThat(again.types()).isEqualTo(btf.types());
    }

    @Test
    void modulesAreSplitOnVmlinux() {
        List<String> modules = KernelBtf.modules();
        assumeThat(modules).as("this kernel has no module BTF under /sys/kernel/btf (modules built in)").isNotEmpty();
        Btf mod = KernelBtf.module(modules.getFirst());
        assertThat(mod.base()).containsSame(KernelBtf.vmlinux());
        assertThat(mod.firstTypeId()).isEqualTo(KernelBtf.vmlinux().nextTypeId());
        assertThat(KernelBtf.module(modules.getFirst())).isSameAs(mod);
    }

    @Test
    void unknownModuleIsAClearError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> KernelBtf.module("no_such_module_xyz"))
                .isInstanceOf(BtfException.class).hasMessageContaining("no such module");
    }

    /** Not a bound (see bpf4j-bench/run-btf-bench for the comparison with libbpf): prints what parsing costs. */
    @Test
    void measuresVmlinuxParse() throws IOException {
        byte[] raw = Files.readAllBytes(VMLINUX);
        var mem = ManagementFactory.getMemoryMXBean();
        long best = Long.MAX_VALUE, bestIndex = Long.MAX_VALUE;
        Btf btf = null;
        for (int i = 0; i < 20; i++) {
            long t0 = System.nanoTime();
            btf = Btf.parse(raw);
            long t1 = System.nanoTime();
            btf.typeId("task_struct", BtfKind.STRUCT).orElseThrow();
            long t2 = System.nanoTime();
            best = Math.min(best, t1 - t0);
            bestIndex = Math.min(bestIndex, t2 - t1);
        }
        System.gc();
        long before = mem.getHeapMemoryUsage().getUsed();
        Btf kept = Btf.parse(raw);
        System.gc();
        long parsed = mem.getHeapMemoryUsage().getUsed() - before;
        kept.typeId("task_struct", BtfKind.STRUCT).orElseThrow();
        System.gc();
        long indexed = mem.getHeapMemoryUsage().getUsed() - before;
        long t0 = System.nanoTime();
        for (BtfType t : kept.types()) assertThat(t).isNotNull();
        long decodeAll = System.nanoTime() - t0;
        // the blob itself was already on the heap before: these are the parser's own structures
        System.out.printf("vmlinux BTF: %d bytes, %d types; parse (check + index) best of 20: %.2f ms; "
                        + "name index: %.2f ms; decoding all types: %.1f ms; heap besides the blob: "
                        + "parsed ~%d KiB, with name index ~%d KiB%n",
                raw.length, btf.typeCount(), best / 1e6, bestIndex / 1e6, decodeAll / 1e6,
                parsed / 1024, indexed / 1024);
    }
}
