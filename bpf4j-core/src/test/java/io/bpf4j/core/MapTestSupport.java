package io.bpf4j.core;

import io.bpf4j.core.asm.Instructions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/** Helpers shared by the map tests: hand-encoded programs, byte conversions, fd counting, pin paths. */
final class MapTestSupport {
    private MapTestSupport() {
    }

    /** One 8-byte instruction: opcode, dst and src registers, offset, immediate. */
    static byte[] insn(int opcode, int dst, int src, int off, int imm) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) opcode).put((byte) ((src << 4) | dst)).putShort((short) off).putInt(imm).array();
    }

    static Instructions code(byte[]... insns) {
        ByteBuffer b = ByteBuffer.allocate(insns.length * 8);
        for (byte[] i : insns) b.put(i);
        return Instructions.decode(b.array());
    }

    /** {@code mov r0, 0; exit}. */
    static Program trivialProgram(String name, ProgramType type) {
        return Program.load(ProgramSpec.of(name, type, code(
                insn(0xb7, 0, 0, 0, 0),     // r0 = 0
                insn(0x95, 0, 0, 0, 0))));  // exit
    }

    static byte[] i32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    static byte[] i64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(v).array();
    }

    static int i32(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getInt();
    }

    static long i64(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getLong();
    }

    /** How many file descriptors this process has open. */
    static long openFds() {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A fresh path under /sys/fs/bpf for pinning. */
    static Path pinPath() {
        byte[] r = new byte[6];
        ThreadLocalRandom.current().nextBytes(r);
        return Path.of("/sys/fs/bpf/bpf4j-test-" + HexFormat.of().formatHex(r));
    }
}
