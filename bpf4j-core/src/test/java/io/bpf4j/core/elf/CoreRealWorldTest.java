package io.bpf4j.core.elf;

import io.bpf4j.core.btf.Btf;
import io.bpf4j.core.btf.BtfException;
import io.bpf4j.core.btf.BtfExt;
import io.bpf4j.core.btf.CoreRelocator;
import io.bpf4j.core.btf.KernelBtf;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Relocates every CO-RE relocation of every BPF object that libbpf-tools embeds in /usr/sbin against this kernel's
 * BTF: thousands of real records (BPF_CORE_READ chains, flavors, bitfields, existence checks) must all resolve or be
 * poisoned, never fail, the way libbpf loads these tools.
 */
@KernelTest
class CoreRealWorldTest {
    @Test
    void everyLibbpfToolsRelocationResolves() throws IOException {
        assumeTrue(Files.exists(KernelBtf.SYSFS.resolve("vmlinux")), "the kernel has no BTF");
        List<Path> tools;
        try (Stream<Path> files = Files.list(Path.of("/usr/sbin"))) {
            tools = files.filter(Files::isRegularFile).sorted().toList();
        }
        int objects = 0, relocations = 0, poisoned = 0;
        List<String> failures = new ArrayList<>();
        for (Path tool : tools) {
            for (byte[] object : RealWorldObjectsTest.embeddedBpfObjects(Files.readAllBytes(tool))) {
                ObjectSpec spec;
                try {
                    spec = ObjectSpec.parse(object);
                } catch (ElfException e) {
                    continue; // RealWorldObjectsTest reports these
                }
                if (spec.btfExt().length == 0) continue;
                objects++;
                Btf btf = Btf.parse(spec.btf());
                BtfExt ext = BtfExt.parse(spec.btfExt(), btf);
                CoreRelocator core = CoreRelocator.forKernel(btf);
                for (ObjectProgram p : spec.programs()) {
                    List<CoreRelocator.Site> sites = new ArrayList<>();
                    ext.coreRelocations().forEach((section, records) -> {
                        for (int i = 0; i < records.size(); i++) {
                            OptionalInt slot = p.slotOf(section, records.get(i).insnOffset());
                            if (slot.isPresent()) {
                                sites.add(new CoreRelocator.Site(slot.getAsInt(), section, i, records.get(i)));
                            }
                        }
                    });
                    try {
                        CoreRelocator.Result r = core.relocate(p.name(), p.instructions(), sites);
                        relocations += r.outcomes().size();
                        poisoned += r.poisoned().size();
                    } catch (BtfException e) {
                        failures.add(tool.getFileName() + ": " + e.getMessage());
                    }
                }
            }
        }
        assumeTrue(objects > 0, "libbpf-tools is not installed (no BPF skeletons in /usr/sbin)");
        System.out.println("CoreRealWorldTest: " + relocations + " CO-RE relocations in " + objects
                + " libbpf-tools objects, " + poisoned + " poisoned (fields this kernel lacks)");
        assertThat(failures).isEmpty();
        assertThat(relocations).isGreaterThan(500);
    }
}
