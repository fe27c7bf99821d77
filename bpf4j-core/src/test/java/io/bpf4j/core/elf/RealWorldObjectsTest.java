package io.bpf4j.core.elf;

import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Parses the BPF objects that libbpf-tools (Debian's CO-RE builds of the bcc tools) embed in their binaries as
 * skeletons: real-world objects with CO-RE relocations, {@code .rodata} knobs, kconfig and ksym externs.
 */
public class RealWorldObjectsTest {
    private static final Path SBIN = Path.of("/usr/sbin");

    @Test
    void everyObjectEmbeddedInLibbpfToolsParses() throws IOException {
        List<Path> tools;
        try (Stream<Path> files = Files.list(SBIN)) {
            tools = files.filter(p -> Files.isRegularFile(p) && p.toString().length() > 0).sorted().toList();
        }
        int objects = 0, programs = 0;
        List<String> failures = new ArrayList<>();
        for (Path tool : tools) {
            byte[] binary = Files.readAllBytes(tool);
            for (byte[] object : embeddedBpfObjects(binary)) {
                try {
                    ObjectSpec spec = ObjectSpec.parse(object);
                    objects++;
                    programs += spec.programs().size();
                    for (ObjectProgram p : spec.programs()) assertThat(p.instructions().size()).isPositive();
                } catch (ElfException e) {
                    failures.add(tool.getFileName() + ": " + e.getMessage());
                }
            }
        }
        assumeTrue(objects + failures.size() > 0, "libbpf-tools is not installed (no BPF skeletons in /usr/sbin)");
        System.out.println("RealWorldObjectsTest: parsed " + objects + " BPF objects with " + programs
                + " programs from " + SBIN);
        assertThat(failures).isEmpty();
    }

    /** ELF64 little-endian EM_BPF images inside {@code binary}, cut at the end of their section header table. */
    public static List<byte[]> embeddedBpfObjects(byte[] binary) {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(binary).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i + 64 <= binary.length; i++) {
            if (binary[i] != 0x7f || binary[i + 1] != 'E' || binary[i + 2] != 'L' || binary[i + 3] != 'F') continue;
            if (binary[i + 4] != 2 || binary[i + 5] != 1 || b.getShort(i + 18) != ElfFile.EM_BPF) continue;
            long end = b.getLong(i + 40) + 64L * Short.toUnsignedInt(b.getShort(i + 60));
            if (end <= 64 || i + end > binary.length) continue;
            out.add(Arrays.copyOfRange(binary, i, (int) (i + end)));
        }
        return out;
    }
}
