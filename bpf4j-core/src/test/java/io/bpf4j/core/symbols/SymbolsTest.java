package io.bpf4j.core.symbols;

import io.bpf4j.core.Program;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.lang.foreign.Linker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Kernel, ELF and JIT symbol resolution. */
class SymbolsTest {
    @Test
    @KernelTest
    void aSymbolizerNamesTheBpfProgramsLoadedBeforeIt() {
        KernelSymbols before = KernelSymbols.load(); // the process-wide copy, read before the program exists
        Assembler asm = new Assembler().mov64(Register.R0, 2).exit();
        try (Program p = Program.load(ProgramSpec.of("b4jsymtest", ProgramType.XDP, asm.build()))) {
            // the kernel names a JITed program bpf_prog_<tag>_<name>
            String name = "bpf_prog_" + p.info().tag() + "_b4jsymtest";
            assertThat(before.contains(name)).as("the shared copy predates the program").isFalse();
            KernelSymbols k = new Symbolizer().kernelSymbols();
            assertThat(k.contains(name)).as(name + " in the symbols a new symbolizer uses").isTrue();
            assertThat(k.symbol(k.address(name).orElseThrow())).hasValue(name);
        }
    }

    @Test
    void perfMapParsesAndResolvesFromAFileTheTestWrites(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("perf-4242.map"), """
                7f0000001000 40 Interpreter
                0x7f0000002000 0x100 LFoo;::bar (compiled, tier 4)
                not a line
                7f0000003000 20
                7f0000002000 80 LFoo;::bar (recompiled)
                """);
        PerfMap map = PerfMap.read(file).orElseThrow();
        assertThat(map.entries()).hasSize(3);
        assertThat(map.resolve(0x7f0000001010L).orElseThrow().toString())
                .isEqualTo("Interpreter+0x10 [JIT perf-4242.map]");
        assertThat(map.resolve(0x7f0000001010L).orElseThrow().kind()).as("HotSpot's template interpreter")
                .isEqualTo(Frame.Kind.INTERPRETED);
        Frame f = map.resolve(0x7f0000002090L).orElseThrow();
        assertThat(f.kind()).isEqualTo(Frame.Kind.JIT);
        assertThat(f.symbol()).isEqualTo("LFoo;::bar (compiled, tier 4)");
        assertThat(f.offset()).isEqualTo(0x90);
        assertThat(map.resolve(0x7f0000001040L)).as("one past the end").isEmpty();
        assertThat(map.resolve(0x7f0000000fffL)).isEmpty();
        assertThat(PerfMap.read(dir.resolve("perf-1.map"))).isEmpty();
    }

    @Test
    void jitFramesOfThisProcessComeFromItsPerfMap() throws Exception {
        long pid = ProcessHandle.current().pid();
        Path file = Path.of("/tmp/perf-" + pid + ".map");
        assumeTrue(!Files.exists(file), file + " exists already (a perf-map agent is running)");
        ProcessSymbols.Mapping anon = ProcessSymbols.of(pid).mappings().stream()
                .filter(m -> !m.isFile()).filter(m -> m.path() == null).findFirst().orElse(null);
        assumeTrue(anon != null, "this JVM has no anonymous executable mapping (code cache)");
        try {
            Files.writeString(file, Long.toHexString(anon.start() + 0x100) + " 80 LHello;::world\n");
            Frame f = ProcessSymbols.of(pid).resolve(anon.start() + 0x120);
            assertThat(f.kind()).isEqualTo(Frame.Kind.JIT);
            assertThat(f.toString()).isEqualTo("LHello;::world+0x20 [JIT perf-" + pid + ".map]");
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void anAddressInThisJvmsCodeCacheOutsideItsPerfMapIsAnUnknownJavaFrame() {
        long pid = ProcessHandle.current().pid();
        ProcessSymbols self = ProcessSymbols.of(pid);
        assertThat(self.isHotSpot()).as("this JVM maps libjvm.so").isTrue();
        ProcessSymbols.Mapping anon = self.mappings().stream().filter(m -> m.path() == null).findFirst().orElse(null);
        assertThat(anon).as("this JVM's code cache: an anonymous executable mapping").isNotNull();
        // an address no perf map entry covers (a tool may have had this JVM write one)
        List<PerfMap.Entry> named = PerfMap.read(PerfMap.path(pid)).map(PerfMap::entries).orElse(List.of());
        long address = anon.start() + 0x40;
        while (address < anon.end() && covered(named, address)) address += 0x40;
        Frame f = self.resolve(address);
        assertThat(f.kind()).isEqualTo(Frame.Kind.JIT);
        assertThat(f.resolved()).isFalse();
        assertThat(f.name()).isEqualTo("[unknown_java]");
        assertThat(Frame.unknown(1, null, Frame.Kind.USER).name()).isEqualTo("[unknown]");
    }

    @Test
    void aPerfMapIsLookedForWhereTheProcessSeesTmp() {
        long pid = ProcessHandle.current().pid();
        // this process's own mount and PID namespaces: its /tmp through /proc/PID/root, its own PID
        assertThat(PerfMap.path(pid)).isEqualTo(Path.of("/proc/" + pid + "/root/tmp/perf-" + pid + ".map"));
        assertThat(PerfMap.path(Long.MAX_VALUE)).as("no such process").isEqualTo(
                Path.of("/tmp/perf-" + Long.MAX_VALUE + ".map"));
    }

    @Test
    void framePointersAreSeenInAJvmsOptions() {
        boolean preserved = ManagementFactory.getRuntimeMXBean().getInputArguments()
                .contains(HotSpotJvms.PRESERVE_FRAME_POINTER);
        assertThat(HotSpotJvms.framePointers(ProcessHandle.current().pid())).isEqualTo(preserved);
    }

    @Test
    void libcFunctionOfThisProcessResolvesThroughProgramHeaders() {
        long getpid = Linker.nativeLinker().defaultLookup().find("getpid").orElseThrow().address();
        Symbolizer sym = new Symbolizer();
        Frame f = sym.user(ProcessHandle.current().pid(), getpid);
        System.out.println("getpid at 0x" + Long.toHexString(getpid) + ": " + f);
        assertThat(f.kind()).isEqualTo(Frame.Kind.USER);
        assertThat(f.symbol()).as("the public name of the alias set").isEqualTo("getpid");
        assertThat(f.offset()).isZero();
        assertThat(f.module()).contains("libc");
        Frame inside = sym.user(ProcessHandle.current().pid(), getpid + 1);
        assertThat(inside.symbol()).isEqualTo(f.symbol());
        assertThat(inside.offset()).isEqualTo(1);
        assertThat(sym.process(ProcessHandle.current().pid()).buildId(getpid)).isPresent();
    }

    @Test
    void updateKeepsWhatWasReadAndNamesTheFramesOfAProcessGoneSince() throws Exception {
        // getpid as mapped in a child: the same libc file, at the child's own address
        long self = ProcessHandle.current().pid();
        long getpid = Linker.nativeLinker().defaultLookup().find("getpid").orElseThrow().address();
        ProcessSymbols.Mapping mine = ProcessSymbols.of(self).mapping(getpid).orElseThrow();
        long fileOffset = getpid - mine.start() + mine.offset();
        Process child = new ProcessBuilder("sleep", "30").start();
        try {
            long pid = child.pid();
            ProcessSymbols.Mapping theirs = null;
            for (int i = 0; i < 200 && theirs == null; i++) {
                theirs = ProcessSymbols.of(pid).mappings().stream()
                        .filter(m -> mine.path().equals(m.path()) && m.offset() <= fileOffset
                                && fileOffset - m.offset() < m.end() - m.start())
                        .findFirst().orElse(null);
                if (theirs == null) Thread.sleep(10); // still the JVM's fork, not sleep yet
            }
            assertThat(theirs).as("the child maps " + mine.path()).isNotNull();
            long address = theirs.start() + fileOffset - theirs.offset();

            Symbolizer sym = new Symbolizer();
            sym.update(pid);
            ProcessSymbols read = sym.process(pid);
            assertThat(sym.user(pid, address).symbol()).isEqualTo("getpid");
            sym.update(pid);
            assertThat(sym.process(pid)).as("nothing changed: the same symbols, files read kept").isSameAs(read);

            child.destroy();
            child.waitFor();
            sym.update(pid);
            assertThat(sym.process(pid)).as("gone: the symbols last read are kept").isSameAs(read);
            assertThat(sym.user(pid, address).symbol()).isEqualTo("getpid");
            assertThat(new Symbolizer().user(pid, address).resolved()).as("never read while it ran").isFalse();
        } finally {
            child.destroy();
        }
    }

    @Test
    void mapsLinesKeepExecutableMappings() {
        List<ProcessSymbols.Mapping> m = ProcessSymbols.parseMaps(List.of(
                "55d0c0a00000-55d0c0a01000 r--p 00000000 fe:01 123 /usr/bin/spin",
                "55d0c0a01000-55d0c0a02000 r-xp 00001000 fe:01 123 /usr/bin/spin",
                "7f10a0000000-7f10a0100000 rwxp 00000000 00:00 0 ",
                "7ffd1c5f0000-7ffd1c5f2000 r-xp 00000000 00:00 0                          [vdso]",
                "7f10b0000000-7f10b0001000 r-xp 00002000 fe:01 77 /tmp/lib with space.so (deleted)"));
        assertThat(m).extracting(ProcessSymbols.Mapping::path)
                .containsExactly("/usr/bin/spin", null, "/tmp/lib with space.so", "[vdso]");
        assertThat(m.getFirst().offset()).isEqualTo(0x1000);
        assertThat(m.get(1).isFile()).isFalse();
        assertThat(m.get(3).isFile()).isFalse();
    }

    @Test
    void kallsymsTextParsesWithModulesAndAliases() throws Exception {
        KernelSymbols k = KernelSymbols.parse(new StringReader("""
                ffffffff81000000 T _stext
                ffffffff81001000 T do_sys_openat2
                ffffffff81001200 t helper_local
                ffffffff81002000 D some_data
                ffffffffc0001000 t nft_do_chain\t[nf_tables]
                """), "test");
        assertThat(k.size()).isEqualTo(4);
        assertThat(k.resolve(0xffffffff8100105cL).toString()).isEqualTo("do_sys_openat2+0x5c [kernel]");
        assertThat(k.resolve(0xffffffff81001204L).symbol()).isEqualTo("helper_local");
        assertThat(k.resolve(0xffffffffc0001010L).toString()).isEqualTo("nft_do_chain+0x10 [nf_tables]");
        assertThat(k.resolve(0x1000L).resolved()).isFalse();
        assertThat(k.address("do_sys_openat2")).hasValue(0xffffffff81001000L);
    }

    @Test
    void hiddenKernelAddressesAreAClearError() {
        assertThatThrownBy(() -> KernelSymbols.parse(new StringReader("""
                0000000000000000 T _stext
                0000000000000000 T do_sys_openat2
                """), "/proc/kallsyms"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("kptr_restrict")
                .hasMessageContaining("address 0");
    }

    @KernelTest
    @Test
    void realKallsymsResolvesAKnownFunction() {
        assumeTrue(Files.isReadable(KernelSymbols.KALLSYMS), "needs /proc/kallsyms");
        KernelSymbols k;
        try {
            k = KernelSymbols.load();
        } catch (IllegalStateException e) {
            assumeTrue(false, e.getMessage());
            return;
        }
        long addr = k.address("vfs_read").orElseThrow();
        assertThat(k.resolve(addr + 0x10).toString()).isEqualTo("vfs_read+0x10 [kernel]");
        System.out.println(k);
    }

    private static boolean covered(List<PerfMap.Entry> entries, long address) {
        return entries.stream().anyMatch(e -> e.contains(address));
    }
}
