package io.bpf4j.core.features;

import java.util.Arrays;

/**
 * A few hand-encoded BPF instructions for probe programs. Probes stay independent of the assembler so that a
 * bug there can never make a feature look missing; each probe program is a handful of instructions.
 */
final class Insns {
    static final int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R10 = 10;

    private long[] code = new long[32];
    private int n;

    private static long encode(int op, int dst, int src, int off, int imm) {
        return (op & 0xffL) | ((long) (dst & 0xf) << 8) | ((long) (src & 0xf) << 12) | ((long) (off & 0xffff) << 16)
                | ((long) imm << 32);
    }

    private Insns add(long insn) {
        if (n == code.length) code = Arrays.copyOf(code, n * 2);
        code[n++] = insn;
        return this;
    }

    /** The number of instruction slots so far (ld_imm64 counts two). */
    int size() {
        return n;
    }

    /** dst = imm (64-bit move, sign-extended). */
    Insns mov(int dst, int imm) {
        return add(encode(0xb7, dst, 0, 0, imm));
    }

    /** dst = imm (32-bit move, zero-extended: {@code mov32(r, -1)} gives 0xffffffff). */
    Insns mov32(int dst, int imm) {
        return add(encode(0xb4, dst, 0, 0, imm));
    }

    /** dst = src. */
    Insns movReg(int dst, int src) {
        return add(encode(0xbf, dst, src, 0, 0));
    }

    /** dst += imm. */
    Insns addImm(int dst, int imm) {
        return add(encode(0x07, dst, 0, 0, imm));
    }

    /** dst = the map with file descriptor {@code fd} (ld_imm64 with BPF_PSEUDO_MAP_FD). */
    Insns ldMap(int dst, int fd) {
        add(encode(0x18, dst, 1, 0, fd));
        return add(0);
    }

    /** *(u64 *)(dst + off) = imm. */
    Insns stDw(int dst, int off, int imm) {
        return add(encode(0x7a, dst, 0, off, imm));
    }

    /** *(u32 *)(dst + off) = imm. */
    Insns stW(int dst, int off, int imm) {
        return add(encode(0x62, dst, 0, off, imm));
    }

    /** dst = *(u32 *)(src + off). */
    Insns ldxW(int dst, int src, int off) {
        return add(encode(0x61, dst, src, off, 0));
    }

    /** if dst == imm goto +off. */
    Insns jeq(int dst, int imm, int off) {
        return add(encode(0x15, dst, 0, off, imm));
    }

    /** call helper {@code id}. */
    Insns call(int id) {
        return add(encode(0x85, 0, 0, 0, id));
    }

    /** exit. */
    Insns exit() {
        return add(encode(0x95, 0, 0, 0, 0));
    }

    /** r0 = imm; exit. */
    Insns ret(int imm) {
        return mov(R0, imm).exit();
    }

    /** The program as the kernel reads it: 8 little-endian bytes per slot. */
    long[] toArray() {
        return Arrays.copyOf(code, n);
    }

    /** {@code r0 = imm; exit}. */
    static long[] returning(int imm) {
        return new Insns().ret(imm).toArray();
    }
}
