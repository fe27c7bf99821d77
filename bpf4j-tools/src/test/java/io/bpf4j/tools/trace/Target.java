package io.bpf4j.tools.trace;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A tiny C program, built with gcc for the test, that waits for a line on stdin and then calls
 * {@code bpf4j_probe_target(size, tag)} ten times with (100, "small") and five times with (5000, "large"); the
 * function returns {@code 2 * size} and fires the USDT probe {@code bpf4j:call(size, 3 * size)}. The strings are
 * first read by the uprobe, in a page the program has not touched yet.
 */
final class Target implements AutoCloseable {
    static final String FUNCTION = "bpf4j_probe_target";
    private static final String SOURCE = """
            #include <stdio.h>
            #include <string.h>
            /* A USDT probe, written out as the stapsdt ELF note <sys/sdt.h> makes: the first argument where the
             * compiler likes, the second in memory (an offset from a register). */
            #define PROBE2(provider, name, a1, a2) __asm__ __volatile__( \
            	"990: nop\\n" \
            	".pushsection .note.stapsdt,\\"?\\",\\"note\\"\\n" \
            	".balign 4\\n" \
            	".4byte 992f-991f, 994f-993f, 3\\n" \
            	"991: .asciz \\"stapsdt\\"\\n" \
            	"992: .balign 4\\n" \
            	"993: .8byte 990b\\n" \
            	".8byte _.stapsdt.base\\n" \
            	".8byte 0\\n" \
            	".asciz \\"" #provider "\\"\\n" \
            	".asciz \\"" #name "\\"\\n" \
            	".asciz \\"-8@%[x1] -8@%[x2]\\"\\n" \
            	"994: .balign 4\\n" \
            	".popsection\\n" \
            	".ifndef _.stapsdt.base\\n" \
            	".pushsection .stapsdt.base,\\"aG\\",\\"progbits\\",.stapsdt.base,comdat\\n" \
            	".weak _.stapsdt.base\\n" \
            	".hidden _.stapsdt.base\\n" \
            	"_.stapsdt.base: .space 1\\n" \
            	".size _.stapsdt.base, 1\\n" \
            	".popsection\\n" \
            	".endif\\n" :: [x1] "nor"((long)(a1)), [x2] "m"(a2))

            __attribute__((noinline)) long bpf4j_probe_target(long size, const char *tag)
            {
            	volatile long triple = size * 3;
            	PROBE2(bpf4j, call, size, triple);
            	return size * 2 + (tag[0] == 'x');
            }
            int main(void)
            {
            	char line[16];
            	if (!fgets(line, sizeof line, stdin))
            		return 1;
            	for (int i = 0; i < 10; i++)
            		bpf4j_probe_target(100, "small");
            	for (int i = 0; i < 5; i++)
            		bpf4j_probe_target(5000, "large");
            	return 0;
            }
            """;

    final Path binary;
    final Process process;
    private final Path dir;

    private Target(Path dir, Path binary, Process process) {
        this.dir = dir;
        this.binary = binary;
        this.process = process;
    }

    /** Builds the program and starts it (it waits for {@link #go}). */
    static Target start() throws Exception {
        Path dir = Files.createTempDirectory("bpf4j-trace-target");
        Path src = dir.resolve("target.c");
        Path bin = dir.resolve("bpf4jtarget");
        Files.writeString(src, SOURCE);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-O1", "-o", bin.toString(), src.toString()).redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            assumeTrue(false, "gcc is needed to build the traced program: " + e.getMessage());
            throw e;
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(gcc.waitFor()).as(log).isZero();
        return new Target(dir, bin, new ProcessBuilder(bin.toString()).start());
    }

    long pid() {
        return process.pid();
    }

    /** Lets the program make its calls, and waits for its end. */
    void go() throws Exception {
        try (OutputStream in = process.getOutputStream()) {
            in.write("go\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
    }

    @Override
    public void close() throws IOException {
        process.destroyForcibly();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) Files.delete(p);
        }
        Files.delete(dir);
    }
}
