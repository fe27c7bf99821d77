package io.bpf4j.core.elf;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The BPF C fixtures of src/test/c, compiled with clang-19 into target/bpf-fixtures on first use (and again
 * when the source is newer). Headers: linux/bpf.h and libbpf-dev's bpf/bpf_helpers.h; no kernel headers.
 */
public final class Fixtures {
    static final String CLANG = "clang-19";
    static final Path SOURCES = Path.of("src/test/c");
    static final Path OUT = Path.of("target/bpf-fixtures");
    /** linux/bpf.h includes asm/types.h, which Debian keeps under the multiarch directory. */
    static final String MULTIARCH_INCLUDE = "/usr/include/x86_64-linux-gnu";

    private Fixtures() {
    }

    /** Whether clang-19 is on the PATH. */
    static boolean clangInstalled() {
        return java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> !dir.isEmpty() && Files.isExecutable(Path.of(dir, CLANG)));
    }

    /**
     * Skips a jqwik container over the fixtures when clang-19 is missing, naming it ({@code @AddLifecycleHook}):
     * there a JUnit assumption inside a property counts as a rejected try, and every try is rejected.
     */
    public static final class NeedsClang implements SkipExecutionHook {
        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            return clangInstalled() ? SkipResult.doNotSkip()
                    : SkipResult.skip(CLANG + " is not installed: the fixtures are built from src/test/c with it");
        }
    }

    /** The names of all fixtures (file names without .bpf.c). */
    public static List<String> names() {
        try (var files = Files.list(SOURCES)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bpf.c"))
                    .map(n -> n.substring(0, n.length() - ".bpf.c".length())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The compiled object of fixture {@code name}; skips the test when clang-19 is missing. */
    public static synchronized Path object(String name) {
        Path source = SOURCES.resolve(name + ".bpf.c");
        Path object = OUT.resolve(name + ".bpf.o");
        try {
            if (Files.exists(object) && Files.getLastModifiedTime(object).compareTo(
                    Files.getLastModifiedTime(source)) >= 0) {
                return object;
            }
            Files.createDirectories(OUT);
            String out = run(List.of(CLANG, "-target", "bpf", "-O2", "-g", "-I", MULTIARCH_INCLUDE, "-c",
                    source.toString(), "-o", object.toString()));
            if (!Files.exists(object)) throw new IllegalStateException("clang-19 failed on " + source + ":\n" + out);
            return object;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(object(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a tool and returns its stdout and stderr; skips the test when the tool is not installed. */
    static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(60, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            assumeTrue(false, command.getFirst() + " is not installed (" + e.getMessage() + ")");
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code llvm-objdump-19 -d}: instruction count (in 8-byte slots) of every function, by name. */
    static java.util.Map<String, Integer> objdumpSlots(String name) {
        String out = run(List.of("llvm-objdump-19", "-d", object(name).toString()));
        java.util.Map<String, Integer> slots = new java.util.LinkedHashMap<>();
        String function = null;
        for (String line : out.lines().toList()) {
            var header = java.util.regex.Pattern.compile("^[0-9a-f]{16} <(.+)>:$").matcher(line);
            var insn = java.util.regex.Pattern.compile("^\\s+(\\d+):\\s").matcher(line);
            if (header.find()) {
                function = header.group(1);
                slots.put(function, 0);
            } else if (function != null && insn.find()) {
                // a 16-byte ld_imm64 counts as two slots: count up to the next instruction's index
                int wide = line.contains(" ll") ? 2 : 1;
                slots.merge(function, wide, Integer::sum);
            }
        }
        return slots;
    }
}
