package io.bpf4j.core.link;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Register;
import io.bpf4j.core.asm.Size;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Test support: runs commands (ip, tc, bpftool) and builds small counting programs. */
final class Commands {
    private Commands() {
    }

    record Result(int exit, String output) {
    }

    /** Runs {@code cmd}, returns its exit status and combined output. */
    static Result run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(127, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code cmd} and fails unless it exits 0. */
    static String check(String... cmd) {
        Result r = run(cmd);
        if (r.exit() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + r.exit() + ": " + r.output());
        }
        return r.output();
    }

    static boolean have(String tool) {
        return List.of("/usr/sbin/", "/usr/bin/", "/sbin/", "/bin/").stream()
                .anyMatch(d -> java.nio.file.Files.isExecutable(java.nio.file.Path.of(d + tool)));
    }

    static String randomSuffix() {
        byte[] b = new byte[3];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Adds 1 to the u64 at index {@code key} of array map {@code map} (atomically); clobbers R0-R5. */
    static Assembler count(Assembler a, BpfMap map, int key, String label) {
        return a.stW(Register.R10, -4, key)
                .loadMapFd(Register.R1, map)
                .mov64(Register.R2, Register.R10)
                .add64(Register.R2, -4)
                .call(Helper.MAP_LOOKUP_ELEM)
                .jeq(Register.R0, 0, label)
                .mov64(Register.R1, 1)
                .atomicAdd(Size.DW, Register.R0, 0, Register.R1)
                .label(label);
    }

    static long u64(byte[] v) {
        return ByteBuffer.wrap(v).order(ByteOrder.nativeOrder()).getLong();
    }

    static long read(BpfMap map, int key) {
        byte[] k = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(key).array();
        return u64(map.lookup(k).orElseThrow());
    }
}
