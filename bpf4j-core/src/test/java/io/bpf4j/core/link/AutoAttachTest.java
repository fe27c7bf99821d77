package io.bpf4j.core.link;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Sections that name their hook are attached from the section name alone, as libbpf's auto-attach does. */
@KernelTest
class AutoAttachTest {
    @Test
    void uprobeSectionAttachesToTheLibraryFunctionItNames() throws Exception {
        ObjectSpec spec = ObjectSpec.read(Fixtures.object("auto_uprobe"));
        try (BpfObject obj = BpfObject.load(spec)) {
            long before;
            try (Link link = AutoAttach.attach(obj, spec.program("count_exit").orElseThrow()).orElseThrow()) {
                before = exits(obj);
                for (int i = 0; i < 3; i++) new ProcessBuilder("/bin/true").start().waitFor();
                assertThat(exits(obj) - before).as("exit() calls seen by uprobe/libc.so.6:exit").isGreaterThanOrEqualTo(3);
            }
        }
    }

    @Test
    void sectionsWithoutATargetAreLeftWithAReason() {
        ObjectSpec spec = ObjectSpec.read(Fixtures.object("xdp_rodata"));
        try (BpfObject obj = BpfObject.load(spec)) {
            var p = spec.program("xdp_count").orElseThrow();
            assertThat(AutoAttach.attach(obj, p)).isEqualTo(Optional.empty());
            assertThat(AutoAttach.why(p)).contains("names no network interface");
        }
    }

    private static long exits(BpfObject obj) {
        byte[] bss = obj.map(".bss").lookup(new byte[4]).orElseThrow();
        return ByteBuffer.wrap(bss).order(ByteOrder.nativeOrder()).getLong(0);
    }
}
