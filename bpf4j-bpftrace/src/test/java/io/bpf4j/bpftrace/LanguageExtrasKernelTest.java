package io.bpf4j.bpftrace;

import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Kernel enumerators, {@code username} and {@code uptr()}, run in this machine's kernel. */
@KernelTest
class LanguageExtrasKernelTest {
    /** Runs {@code bt} until it exits; its output (bpftrace ends it with two empty lines). */
    private static String run(BpfTrace bt, Runnable afterAttach) throws Exception {
        StringWriter text = new StringWriter();
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> bt.run(new PrintWriter(text, true)));
        assertThat(bt.awaitAttached(Duration.ofSeconds(30))).as("attached").isTrue();
        afterAttach.run();
        done.get(60, TimeUnit.SECONDS);
        return text.toString();
    }

    @Test
    void kernelEnumeratorsAreSixtyFourBitConstants() throws Exception {
        try (BpfTrace bt = BpfTrace.compile("""
                BEGIN { printf("%d %d %d\\n", sizeof(BTF_VAR_STATIC), BTF_VAR_STATIC, BTF_VAR_GLOBAL_ALLOCATED);
                        exit(); }
                """, Options.defaults().withQuiet(true))) {
            assertThat(run(bt, () -> { })).isEqualTo("8 0 1\n\n\n");
        }
    }

    @Test
    void usernameNamesTheUserAsPasswdDoes() throws Exception {
        try (BpfTrace bt = BpfTrace.compile("BEGIN { printf(\"%s\\n\", username); @[username] = count(); exit(); }",
                Options.defaults().withQuiet(true))) {
            String me = System.getProperty("user.name");
            assertThat(run(bt, () -> { })).isEqualTo(me + "\n\n\n@[" + me + "]: 1\n");
        }
    }

    @Test
    void uptrReadsAUserPointer() throws Exception {
        Path file = Files.createTempFile("bpf4j-bt-uptr-", ".txt");
        try (BpfTrace bt = BpfTrace.compile("""
                t:syscalls:sys_enter_openat /pid == $1 && strcontains(str(uptr(args->filename)), "bpf4j-bt-uptr-")/ {
                  print(str(uptr(args->filename))); exit(); }
                """, Options.defaults().withQuiet(true)
                .withPositionals(List.of(Long.toString(ProcessHandle.current().pid()))))) {
            String out = run(bt, () -> {
                try {
                    Files.readString(file);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            assertThat(out).isEqualTo(file + "\n\n\n");
        } finally {
            Files.delete(file);
        }
    }
}
