package io.bpf4j.core.link;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.elf.Fixtures;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A task iterator's output read as text: this JVM's own process is among the tasks it lists. */
@KernelTest
class IteratorTest {
    @Test
    void taskIteratorListsThisProcess() {
        ObjectSpec spec = ObjectSpec.read(Fixtures.object("iter_task"));
        try (BpfObject obj = BpfObject.load(spec); Link it = Iterator.attach(obj.program("list_tasks"))) {
            String text = Iterator.read(it);
            long pid = ProcessHandle.current().pid();
            assertThat(text.lines()).as("the iterator's lines").hasSizeGreaterThan(10)
                    .contains(pid + " java")
                    .contains("2 kthreadd"); // the same first line as `cat` on the iterator pinned by bpftool
            assertThat(Iterator.read(it)).as("a second read runs the iterator again").contains(pid + " java");
        }
    }
}
