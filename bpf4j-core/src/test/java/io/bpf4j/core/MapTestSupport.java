package io.bpf4j.core;

import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.object.ProgramSpec;
import io.bpf4j.core.object.ProgramType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/** Helpers shared by the map tests: a trivial program, byte conversions, fd counting, pin paths. */
final class MapTestSupport {
    private MapTestSupport() {
    }

    /** {@code r0 = 0; exit}, built with the assembler. */
    static Program trivialProgram(String name, ProgramType type) {
        return Program.load(ProgramSpec.of(name, type, new Assembler().mov64(Register.R0, 0).exit().build()));
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
