package io.bpf4j.core.btf;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The libbpf side of the conformance checks: src/test/c/harness/core_harness.c built with gcc against Debian's
 * libbpf-dev into target/core-fixtures (again when the source is newer), and the CO-RE fixtures of src/test/c/core
 * compiled with clang-19 against a vmlinux.h that {@link BtfCHeader} writes from this kernel's BTF. Tests that use
 * it are skipped when gcc, libbpf-dev, clang-19 or the kernel's BTF are missing.
 */
public final class LibbpfHarness {
    static final Path CORE_SOURCES = Path.of("src/test/c/core");
    static final Path SOURCE = Path.of("src/test/c/harness/core_harness.c");
    static final Path OUT = Path.of("target/core-fixtures");

    private LibbpfHarness() {
    }

    /** What libbpf did with one program loaded on its own. */
    public record Outcome(String program, boolean loaded, String tag, int errno) {
    }

    /** The names of the CO-RE fixtures (src/test/c/core, file names without .bpf.c). */
    public static List<String> coreFixtures() {
        try (var files = Files.list(CORE_SOURCES)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".bpf.c"))
                    .map(n -> n.substring(0, n.length() - ".bpf.c".length())).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The compiled CO-RE fixture {@code name} of src/test/c/core. */
    public static synchronized Path coreFixture(String name) {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/clang-19")), "clang-19 is not installed");
        assumeTrue(Files.exists(KernelBtf.SYSFS.resolve("vmlinux")), "the kernel has no BTF (CONFIG_DEBUG_INFO_BTF)");
        Path source = CORE_SOURCES.resolve(name + ".bpf.c");
        Path object = OUT.resolve(name + ".bpf.o");
        try {
            Files.createDirectories(OUT);
            Path header = OUT.resolve("vmlinux.h");
            if (!Files.exists(header)) {
                Files.writeString(header, BtfCHeader.of(KernelBtf.vmlinux(), "__VMLINUX_H__"));
            }
            if (!Files.exists(object)
                    || Files.getLastModifiedTime(object).compareTo(Files.getLastModifiedTime(source)) < 0) {
                String out = run("clang-19", "-target", "bpf", "-O2", "-g", "-I", OUT.toString(), "-I",
                        "/usr/include/x86_64-linux-gnu", "-c", source.toString(), "-o", object.toString());
                if (!Files.exists(object)) throw new IllegalStateException("clang-19 failed on " + source + ":\n" + out);
            }
            return object;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The harness binary, built on first use. */
    public static synchronized Path binary() {
        Path harness = OUT.resolve("core_harness");
        try {
            Files.createDirectories(OUT);
            if (!Files.exists(harness)
                    || Files.getLastModifiedTime(harness).compareTo(Files.getLastModifiedTime(SOURCE)) < 0) {
                Files.deleteIfExists(harness);
                String out = run("gcc", "-O1", "-o", harness.toString(), SOURCE.toString(), "-lbpf", "-lelf", "-lz");
                assumeTrue(Files.exists(harness), "cannot build the libbpf harness (gcc, libbpf-dev): " + out);
            }
            return harness.toAbsolutePath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code core_harness --each}: libbpf loads each program of {@code object} on its own (every other program's
     * autoload off), the object opened afresh for each. When libbpf cannot even open the object, the map holds one
     * entry under the key "" with the errno. Before that, the whole object as it is (all autoload programs
     * together): under "@", loaded or failed, and under "@NAME" each program it loaded then.
     */
    public static Map<String, Outcome> each(Path object) {
        String out = run(binary().toString(), "--each", object.toAbsolutePath().toString());
        Map<String, Outcome> result = new LinkedHashMap<>();
        for (String line : out.lines().toList()) {
            String[] f = line.split(" ");
            if (f.length != 3 && !line.equals("@ loaded")) continue;
            if (f[0].startsWith("@") && f[1].equals("loaded")) {
                result.put(f[0], new Outcome(f[0], true, f.length > 2 ? f[2] : null, 0));
            } else if (f[0].equals("@") && f[1].equals("failed")) {
                result.put(f[0], new Outcome(f[0], false, null, Integer.parseInt(f[2])));
            } else if (f[0].equals("open") && f[1].equals("failed")) {
                result.put("", new Outcome("", false, null, Integer.parseInt(f[2])));
            } else if (f[1].equals("loaded")) {
                result.put(f[0], new Outcome(f[0], true, f[2], 0));
            } else if (f[1].equals("failed")) {
                result.put(f[0], new Outcome(f[0], false, null, Integer.parseInt(f[2])));
            }
        }
        return result;
    }

    static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(120, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            assumeTrue(false, command[0] + " is not installed (" + e.getMessage() + ")");
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
