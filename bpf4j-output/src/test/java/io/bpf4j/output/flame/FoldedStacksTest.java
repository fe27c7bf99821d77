package io.bpf4j.output.flame;

import io.bpf4j.core.symbols.Frame;
import io.bpf4j.output.StackCounts;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The folded line: process first, outermost frame next, bcc's _[k] and _[j] annotations (and _[i] for a JVM's
 * interpreter), separators escaped.
 */
class FoldedStacksTest {
    @Test
    void outermostFirstWithKernelAndJitAnnotations() {
        List<Frame> innermostFirst = List.of(
                new Frame(0xffffffff81000000L, "clear_page_erms", 0x10, "kernel", Frame.Kind.KERNEL),
                new Frame(0xffffffff81000100L, "do_syscall_64", 0x40, "kernel", Frame.Kind.KERNEL),
                new Frame(0x7f0000001000L, "Interpreter", 0x20, "perf-42.map", Frame.Kind.JIT),
                Frame.unknown(0x1234, null, Frame.Kind.USER),
                new Frame(0x401000, "main", 0x8, "/tmp/a b", Frame.Kind.USER));
        String line = FoldedStacks.line(new StackCounts.Stack("my app", innermostFirst, 17));
        assertThat(line).isEqualTo(
                "my_app;main;[unknown];Interpreter_[j];do_syscall_64_[k];clear_page_erms_[k] 17");
        assertThat(FoldedStacks.line(new StackCounts.Stack(null, List.of(
                new Frame(1, "a;b", 0, "x", Frame.Kind.USER)), 3))).isEqualTo("a:b 3");
    }

    @Test
    void javaFramesAreAnnotatedAndNamedForWhatTheyAre() {
        List<Frame> innermostFirst = List.of(
                Frame.unknown(0x7f0000003000L, "perf-42.map", Frame.Kind.JIT),
                new Frame(0x7f0000002000L, "long Foo.bar(long)", 0x30, "perf-42.map", Frame.Kind.JIT),
                new Frame(0x7f0000001000L, "Interpreter", 0x20, "perf-42.map", Frame.Kind.INTERPRETED),
                new Frame(0x401000, "JavaMain", 0x8, "/usr/lib/jvm/lib/libjli.so", Frame.Kind.USER));
        assertThat(FoldedStacks.line(new StackCounts.Stack("java", innermostFirst, 5))).isEqualTo(
                "java;JavaMain;Interpreter_[i];long_Foo.bar(long)_[j];[unknown_java]_[j] 5");
    }
}
