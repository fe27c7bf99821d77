package io.bpf4j.core.asm;

import org.junit.jupiter.api.Test;

import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Compares decoding and disassembly with text the Linux kernel itself printed for the same bytes (kernel 6.18,
 * captured on the build machine; how is described on each fixture), and checks that the decoded programs
 * re-encode to the very same bytes.
 */
class KernelOutputTest {

    /**
     * A socket filter covering most of the instruction set (legacy packet loads, stores, every atomic, every ALU
     * operation including the v4 ones, sign-extending loads, wide constants, jumps, gotol, a helper call),
     * assembled by {@code llvm-mc-19 -mcpu=v4}; the bytes are its {@code socket} section.
     */
    private static final String ISA_PROGRAM_HEX = """
            bf 16 00 00 00 00 00 00
            30 00 00 00 0c 00 00 00
            b7 07 00 00 0e 00 00 00
            48 70 00 00 00 00 00 00
            40 70 00 00 00 00 00 00
            b7 01 00 00 00 00 00 00
            7b 1a f8 ff 00 00 00 00
            7b 1a f0 ff 00 00 00 00
            62 0a ec ff 05 00 00 00
            6a 0a ea ff 06 00 00 00
            72 0a e9 ff 07 00 00 00
            7a 0a e0 ff ff ff ff ff
            b7 02 00 00 01 00 00 00
            db 2a f8 ff 00 00 00 00
            db 2a f8 ff 40 00 00 00
            db 2a f8 ff 50 00 00 00
            db 2a f8 ff a0 00 00 00
            c3 2a f0 ff 00 00 00 00
            db 2a f8 ff 01 00 00 00
            db 2a f8 ff 41 00 00 00
            db 2a f8 ff 51 00 00 00
            db 2a f8 ff a1 00 00 00
            c3 2a f0 ff 01 00 00 00
            db 2a f8 ff e1 00 00 00
            c3 2a f0 ff e1 00 00 00
            db 2a f8 ff f1 00 00 00
            c3 2a f0 ff f1 00 00 00
            bf 23 00 00 00 00 00 00
            07 03 00 00 01 00 00 00
            1f 23 00 00 00 00 00 00
            27 03 00 00 03 00 00 00
            37 03 00 00 02 00 00 00
            97 03 00 00 05 00 00 00
            47 03 00 00 08 00 00 00
            57 03 00 00 ff 00 00 00
            67 03 00 00 02 00 00 00
            77 03 00 00 01 00 00 00
            c7 03 00 00 01 00 00 00
            af 23 00 00 00 00 00 00
            87 03 00 00 00 00 00 00
            04 03 00 00 01 00 00 00
            1c 23 00 00 00 00 00 00
            84 03 00 00 00 00 00 00
            b4 03 00 00 07 00 00 00
            bc 23 00 00 00 00 00 00
            37 03 01 00 03 00 00 00
            97 03 01 00 03 00 00 00
            34 03 01 00 03 00 00 00
            94 03 01 00 03 00 00 00
            bf 34 08 00 00 00 00 00
            bf 34 10 00 00 00 00 00
            bf 34 20 00 00 00 00 00
            bc 34 08 00 00 00 00 00
            bc 34 10 00 00 00 00 00
            dc 04 00 00 10 00 00 00
            dc 04 00 00 20 00 00 00
            dc 04 00 00 40 00 00 00
            d4 04 00 00 10 00 00 00
            d4 04 00 00 20 00 00 00
            d7 04 00 00 10 00 00 00
            d7 04 00 00 20 00 00 00
            d7 04 00 00 40 00 00 00
            91 a5 f8 ff 00 00 00 00
            89 a5 f8 ff 00 00 00 00
            81 a5 f8 ff 00 00 00 00
            71 a5 f8 ff 00 00 00 00
            69 a5 f8 ff 00 00 00 00
            61 a5 f8 ff 00 00 00 00
            79 a5 f8 ff 00 00 00 00
            18 01 00 00 f0 de bc 9a
            00 00 00 00 78 56 34 12
            18 01 00 00 ff ff ff ff
            00 00 00 00 ff ff ff ff
            15 03 00 00 00 00 00 00
            5d 43 00 00 00 00 00 00
            25 03 00 00 05 00 00 00
            c5 03 00 00 fb ff ff ff
            45 03 00 00 10 00 00 00
            6e 43 00 00 00 00 00 00
            b6 03 00 00 64 00 00 00
            05 00 00 00 00 00 00 00
            06 00 00 00 00 00 00 00
            85 00 00 00 05 00 00 00
            b7 00 00 00 00 00 00 00
            95 00 00 00 00 00 00 00
            """;

    /**
     * The kernel's own text for {@link #ISA_PROGRAM_HEX}: the "Live regs before insn" part of the verifier log of
     * {@code bpftool -d prog load} (printed by kernel/bpf/disasm.c), reformatted with bpftool's slot column.
     */
    private static final String ISA_PROGRAM_TEXT = """
               0: (bf) r6 = r1
               1: (30) r0 = *(u8 *)skb[12]
               2: (b7) r7 = 14
               3: (48) r0 = *(u16 *)skb[r7 + 0]
               4: (40) r0 = *(u32 *)skb[r7 + 0]
               5: (b7) r1 = 0
               6: (7b) *(u64 *)(r10 -8) = r1
               7: (7b) *(u64 *)(r10 -16) = r1
               8: (62) *(u32 *)(r10 -20) = 5
               9: (6a) *(u16 *)(r10 -22) = 6
              10: (72) *(u8 *)(r10 -23) = 7
              11: (7a) *(u64 *)(r10 -32) = -1
              12: (b7) r2 = 1
              13: (db) lock *(u64 *)(r10 -8) += r2
              14: (db) lock *(u64 *)(r10 -8) |= r2
              15: (db) lock *(u64 *)(r10 -8) &= r2
              16: (db) lock *(u64 *)(r10 -8) ^= r2
              17: (c3) lock *(u32 *)(r10 -16) += r2
              18: (db) r2 = atomic64_fetch_add((u64 *)(r10 -8), r2)
              19: (db) r2 = atomic64_fetch_or((u64 *)(r10 -8), r2)
              20: (db) r2 = atomic64_fetch_and((u64 *)(r10 -8), r2)
              21: (db) r2 = atomic64_fetch_xor((u64 *)(r10 -8), r2)
              22: (c3) r2 = atomic_fetch_add((u32 *)(r10 -16), r2)
              23: (db) r2 = atomic64_xchg((u64 *)(r10 -8), r2)
              24: (c3) r2 = atomic_xchg((u32 *)(r10 -16), r2)
              25: (db) r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r2)
              26: (c3) r0 = atomic_cmpxchg((u32 *)(r10 -16), r0, r2)
              27: (bf) r3 = r2
              28: (07) r3 += 1
              29: (1f) r3 -= r2
              30: (27) r3 *= 3
              31: (37) r3 /= 2
              32: (97) r3 %= 5
              33: (47) r3 |= 8
              34: (57) r3 &= 255
              35: (67) r3 <<= 2
              36: (77) r3 >>= 1
              37: (c7) r3 s>>= 1
              38: (af) r3 ^= r2
              39: (87) r3 = -r3
              40: (04) w3 += 1
              41: (1c) w3 -= w2
              42: (84) w3 = -w3
              43: (b4) w3 = 7
              44: (bc) w3 = w2
              45: (37) r3 s/= 3
              46: (97) r3 s%= 3
              47: (34) w3 s/= 3
              48: (94) w3 s%= 3
              49: (bf) r4 = (s8)r3
              50: (bf) r4 = (s16)r3
              51: (bf) r4 = (s32)r3
              52: (bc) w4 = (s8)w3
              53: (bc) w4 = (s16)w3
              54: (dc) r4 = be16 r4
              55: (dc) r4 = be32 r4
              56: (dc) r4 = be64 r4
              57: (d4) r4 = le16 r4
              58: (d4) r4 = le32 r4
              59: (d7) r4 = bswap16 r4
              60: (d7) r4 = bswap32 r4
              61: (d7) r4 = bswap64 r4
              62: (91) r5 = *(s8 *)(r10 -8)
              63: (89) r5 = *(s16 *)(r10 -8)
              64: (81) r5 = *(s32 *)(r10 -8)
              65: (71) r5 = *(u8 *)(r10 -8)
              66: (69) r5 = *(u16 *)(r10 -8)
              67: (61) r5 = *(u32 *)(r10 -8)
              68: (79) r5 = *(u64 *)(r10 -8)
              69: (18) r1 = 0x123456789abcdef0
              71: (18) r1 = 0xffffffffffffffff
              73: (15) if r3 == 0x0 goto pc+0
              74: (5d) if r3 != r4 goto pc+0
              75: (25) if r3 > 0x5 goto pc+0
              76: (c5) if r3 s< 0xfffffffb goto pc+0
              77: (45) if r3 & 0x10 goto pc+0
              78: (6e) if w3 s> w4 goto pc+0
              79: (b6) if w3 <= 0x64 goto pc+0
              80: (05) goto pc+0
              81: (06) gotol pc+0
              82: (85) call bpf_ktime_get_ns#5
              83: (b7) r0 = 0
              84: (95) exit
            """;

    /**
     * Load-acquire, store-release (32 and 64 bit), may_goto and a BPF-to-BPF call, loaded the same way; the
     * call's immediate is the one libbpf relocated it to.
     */
    private static final String NEWER_PROGRAM_HEX = """
            b7 01 00 00 00 00 00 00
            7b 1a f8 ff 00 00 00 00
            63 1a f0 ff 00 00 00 00
            db a0 f8 ff 00 01 00 00
            db 1a f8 ff 10 01 00 00
            c3 a0 f0 ff 00 01 00 00
            c3 1a f0 ff 10 01 00 00
            e5 00 00 00 00 00 00 00
            85 10 00 00 02 00 00 00
            b7 00 00 00 00 00 00 00
            95 00 00 00 00 00 00 00
            """;

    private static final String NEWER_PROGRAM_TEXT = """
               0: (b7) r1 = 0
               1: (7b) *(u64 *)(r10 -8) = r1
               2: (63) *(u32 *)(r10 -16) = r1
               3: (db) r0 = load_acquire((u64 *)(r10 -8))
               4: (db) store_release((u64 *)(r10 -8), r1)
               5: (c3) r0 = load_acquire((u32 *)(r10 -16))
               6: (c3) store_release((u32 *)(r10 -16), r1)
               7: (e5) may_goto pc+0
               8: (85) call pc+2
               9: (b7) r0 = 0
              10: (95) exit
            """;

    /**
     * What the kernel reports for a program bpftrace loaded for
     * {@code tracepoint:syscalls:sys_enter_getppid { @c = count(); @h[comm] = hist(args->__syscall_nr);
     * printf("%d %s\n", pid, comm); }}: {@code bpftool prog dump xlated id N opcodes}. Map loads carry map
     * ids and helper calls offsets from {@code __bpf_call_base}, as in every translated dump.
     */
    private static final String BPFTRACE_XLATED_HEX = """
            bf 16 00 00 00 00 00 00
            b7 07 00 00 00 00 00 00
            7b 7a f0 ff 00 00 00 00
            18 11 00 00 3b 00 00 00
            00 00 00 00 00 00 00 00
            bf a2 00 00 00 00 00 00
            07 02 00 00 f0 ff ff ff
            07 01 00 00 38 01 00 00
            61 20 00 00 00 00 00 00
            35 00 05 00 01 00 00 00
            67 00 00 00 03 00 00 00
            0f 10 00 00 00 00 00 00
            79 00 00 00 00 00 00 00
            bf 00 ff ff 00 00 00 00
            05 00 01 00 00 00 00 00
            b7 00 00 00 00 00 00 00
            b7 01 00 00 01 00 00 00
            15 00 02 00 00 00 00 00
            79 01 00 00 00 00 00 00
            07 01 00 00 01 00 00 00
            7b 1a d0 ff 00 00 00 00
            18 11 00 00 3b 00 00 00
            00 00 00 00 00 00 00 00
            bf a2 00 00 00 00 00 00
            07 02 00 00 f0 ff ff ff
            bf a3 00 00 00 00 00 00
            07 03 00 00 d0 ff ff ff
            b7 04 00 00 00 00 00 00
            85 00 00 00 a0 63 05 00
            61 61 08 00 00 00 00 00
            67 01 00 00 20 00 00 00
            c7 01 00 00 20 00 00 00
            6d 17 1e 00 00 00 00 00
            b7 07 00 00 01 00 00 00
            15 01 1c 00 00 00 00 00
            b7 02 00 00 01 00 00 00
            b7 03 00 00 01 00 00 00
            25 01 01 00 ff ff 00 00
            b7 03 00 00 00 00 00 00
            67 03 00 00 04 00 00 00
            7f 31 00 00 00 00 00 00
            b7 04 00 00 01 00 00 00
            25 01 01 00 ff 00 00 00
            b7 04 00 00 00 00 00 00
            67 04 00 00 03 00 00 00
            7f 41 00 00 00 00 00 00
            b7 05 00 00 01 00 00 00
            25 01 01 00 0f 00 00 00
            b7 05 00 00 00 00 00 00
            67 05 00 00 02 00 00 00
            7f 51 00 00 00 00 00 00
            b7 07 00 00 01 00 00 00
            25 01 01 00 03 00 00 00
            b7 07 00 00 00 00 00 00
            67 07 00 00 01 00 00 00
            7f 71 00 00 00 00 00 00
            25 01 01 00 01 00 00 00
            b7 02 00 00 00 00 00 00
            4f 43 00 00 00 00 00 00
            4f 53 00 00 00 00 00 00
            4f 37 00 00 00 00 00 00
            4f 27 00 00 00 00 00 00
            07 07 00 00 02 00 00 00
            b7 08 00 00 00 00 00 00
            7b 8a f8 ff 00 00 00 00
            7b 8a f0 ff 00 00 00 00
            bf a1 00 00 00 00 00 00
            07 01 00 00 f0 ff ff ff
            b7 02 00 00 10 00 00 00
            85 00 00 00 10 1e 04 00
            79 a1 f0 ff 00 00 00 00
            7b 1a d0 ff 00 00 00 00
            79 a1 f8 ff 00 00 00 00
            7b 1a d8 ff 00 00 00 00
            7b 7a e0 ff 00 00 00 00
            18 11 00 00 3c 00 00 00
            00 00 00 00 00 00 00 00
            bf a2 00 00 00 00 00 00
            07 02 00 00 d0 ff ff ff
            85 00 00 00 70 0c 05 00
            15 00 03 00 00 00 00 00
            07 00 00 00 48 00 00 00
            79 00 00 00 00 00 00 00
            bf 00 ff ff 00 00 00 00
            b7 01 00 00 01 00 00 00
            15 00 02 00 00 00 00 00
            79 01 00 00 00 00 00 00
            07 01 00 00 01 00 00 00
            7b 1a f0 ff 00 00 00 00
            18 11 00 00 3c 00 00 00
            00 00 00 00 00 00 00 00
            bf a2 00 00 00 00 00 00
            07 02 00 00 d0 ff ff ff
            bf a3 00 00 00 00 00 00
            07 03 00 00 f0 ff ff ff
            b7 04 00 00 00 00 00 00
            85 00 00 00 00 35 05 00
            7b 8a d0 ff 00 00 00 00
            85 00 00 00 00 1b 04 00
            77 00 00 00 20 00 00 00
            7b 0a d8 ff 00 00 00 00
            7b 8a f8 ff 00 00 00 00
            7b 8a f0 ff 00 00 00 00
            bf a1 00 00 00 00 00 00
            07 01 00 00 f0 ff ff ff
            b7 02 00 00 10 00 00 00
            85 00 00 00 10 1e 04 00
            79 a1 f0 ff 00 00 00 00
            7b 1a e0 ff 00 00 00 00
            79 a1 f8 ff 00 00 00 00
            7b 1a e8 ff 00 00 00 00
            18 12 00 00 3d 00 00 00
            00 00 00 00 00 00 00 00
            bf a4 00 00 00 00 00 00
            07 04 00 00 d0 ff ff ff
            bf 61 00 00 00 00 00 00
            18 03 00 00 ff ff ff ff
            00 00 00 00 00 00 00 00
            b7 05 00 00 20 00 00 00
            85 00 00 00 90 16 ff ff
            b7 00 00 00 01 00 00 00
            95 00 00 00 00 00 00 00
            """;

    /**
     * {@code bpftool prog dump xlated id N} for the same program, except slots 13 and 83: bpftool v7.1.0 predates
     * the kernel-internal per-CPU address move (offset -1) and prints it as {@code r0 = r0}; these two lines are
     * what the kernel's current disasm.c prints for it.
     */
    private static final String BPFTRACE_XLATED_TEXT = """
               0: (bf) r6 = r1
               1: (b7) r7 = 0
               2: (7b) *(u64 *)(r10 -16) = r7
               3: (18) r1 = map[id:59]
               5: (bf) r2 = r10
               6: (07) r2 += -16
               7: (07) r1 += 312
               8: (61) r0 = *(u32 *)(r2 +0)
               9: (35) if r0 >= 0x1 goto pc+5
              10: (67) r0 <<= 3
              11: (0f) r0 += r1
              12: (79) r0 = *(u64 *)(r0 +0)
              13: (bf) r0 = &(void __percpu *)(r0)
              14: (05) goto pc+1
              15: (b7) r0 = 0
              16: (b7) r1 = 1
              17: (15) if r0 == 0x0 goto pc+2
              18: (79) r1 = *(u64 *)(r0 +0)
              19: (07) r1 += 1
              20: (7b) *(u64 *)(r10 -48) = r1
              21: (18) r1 = map[id:59]
              23: (bf) r2 = r10
              24: (07) r2 += -16
              25: (bf) r3 = r10
              26: (07) r3 += -48
              27: (b7) r4 = 0
              28: (85) call array_map_update_elem#353184
              29: (61) r1 = *(u32 *)(r6 +8)
              30: (67) r1 <<= 32
              31: (c7) r1 s>>= 32
              32: (6d) if r7 s> r1 goto pc+30
              33: (b7) r7 = 1
              34: (15) if r1 == 0x0 goto pc+28
              35: (b7) r2 = 1
              36: (b7) r3 = 1
              37: (25) if r1 > 0xffff goto pc+1
              38: (b7) r3 = 0
              39: (67) r3 <<= 4
              40: (7f) r1 >>= r3
              41: (b7) r4 = 1
              42: (25) if r1 > 0xff goto pc+1
              43: (b7) r4 = 0
              44: (67) r4 <<= 3
              45: (7f) r1 >>= r4
              46: (b7) r5 = 1
              47: (25) if r1 > 0xf goto pc+1
              48: (b7) r5 = 0
              49: (67) r5 <<= 2
              50: (7f) r1 >>= r5
              51: (b7) r7 = 1
              52: (25) if r1 > 0x3 goto pc+1
              53: (b7) r7 = 0
              54: (67) r7 <<= 1
              55: (7f) r1 >>= r7
              56: (25) if r1 > 0x1 goto pc+1
              57: (b7) r2 = 0
              58: (4f) r3 |= r4
              59: (4f) r3 |= r5
              60: (4f) r7 |= r3
              61: (4f) r7 |= r2
              62: (07) r7 += 2
              63: (b7) r8 = 0
              64: (7b) *(u64 *)(r10 -8) = r8
              65: (7b) *(u64 *)(r10 -16) = r8
              66: (bf) r1 = r10
              67: (07) r1 += -16
              68: (b7) r2 = 16
              69: (85) call bpf_get_current_comm#269840
              70: (79) r1 = *(u64 *)(r10 -16)
              71: (7b) *(u64 *)(r10 -48) = r1
              72: (79) r1 = *(u64 *)(r10 -8)
              73: (7b) *(u64 *)(r10 -40) = r1
              74: (7b) *(u64 *)(r10 -32) = r7
              75: (18) r1 = map[id:60]
              77: (bf) r2 = r10
              78: (07) r2 += -48
              79: (85) call __htab_map_lookup_elem#330864
              80: (15) if r0 == 0x0 goto pc+3
              81: (07) r0 += 72
              82: (79) r0 = *(u64 *)(r0 +0)
              83: (bf) r0 = &(void __percpu *)(r0)
              84: (b7) r1 = 1
              85: (15) if r0 == 0x0 goto pc+2
              86: (79) r1 = *(u64 *)(r0 +0)
              87: (07) r1 += 1
              88: (7b) *(u64 *)(r10 -16) = r1
              89: (18) r1 = map[id:60]
              91: (bf) r2 = r10
              92: (07) r2 += -48
              93: (bf) r3 = r10
              94: (07) r3 += -16
              95: (b7) r4 = 0
              96: (85) call htab_percpu_map_update_elem#341248
              97: (7b) *(u64 *)(r10 -48) = r8
              98: (85) call bpf_get_current_pid_tgid#269056
              99: (77) r0 >>= 32
             100: (7b) *(u64 *)(r10 -40) = r0
             101: (7b) *(u64 *)(r10 -8) = r8
             102: (7b) *(u64 *)(r10 -16) = r8
             103: (bf) r1 = r10
             104: (07) r1 += -16
             105: (b7) r2 = 16
             106: (85) call bpf_get_current_comm#269840
             107: (79) r1 = *(u64 *)(r10 -16)
             108: (7b) *(u64 *)(r10 -32) = r1
             109: (79) r1 = *(u64 *)(r10 -8)
             110: (7b) *(u64 *)(r10 -24) = r1
             111: (18) r2 = map[id:61]
             113: (bf) r4 = r10
             114: (07) r4 += -48
             115: (bf) r1 = r6
             116: (18) r3 = 0xffffffff
             118: (b7) r5 = 32
             119: (85) call bpf_perf_event_output_tp#-59760
             120: (b7) r0 = 1
             121: (95) exit
            """;

    /** The kernel symbols bpftool found (via /proc/kallsyms) for the call targets of that program. */
    private static final Map<Integer, String> BPFTRACE_CALL_TARGETS = Map.of(
            353184, "array_map_update_elem",
            269840, "bpf_get_current_comm",
            330864, "__htab_map_lookup_elem",
            341248, "htab_percpu_map_update_elem",
            269056, "bpf_get_current_pid_tgid",
            -59760, "bpf_perf_event_output_tp");

    @Test
    void disassemblesTheIsaProgramAsTheKernelDoes() {
        byte[] code = bytes(ISA_PROGRAM_HEX);

        List<Instruction> program = Instruction.decode(code);

        assertThat(Disassembler.beforeLoad().disassemble(program)).isEqualTo(ISA_PROGRAM_TEXT);
        assertThat(Instructions.of(program).toBytes()).isEqualTo(code);
    }

    @Test
    void disassemblesLoadAcquireStoreReleaseMayGotoAndCallsAsTheKernelDoes() {
        byte[] code = bytes(NEWER_PROGRAM_HEX);

        List<Instruction> program = Instruction.decode(code);

        assertThat(Disassembler.beforeLoad().disassemble(program)).isEqualTo(NEWER_PROGRAM_TEXT);
        assertThat(Instructions.of(program).toBytes()).isEqualTo(code);
    }

    @Test
    void reproducesBpftoolDumpOfATranslatedProgram() {
        byte[] code = bytes(BPFTRACE_XLATED_HEX);

        List<Instruction> program = Instruction.decode(code);
        String text = Disassembler.kernelDump().withCallNames(BPFTRACE_CALL_TARGETS::get).disassemble(program);

        assertThat(text).isEqualTo(BPFTRACE_XLATED_TEXT);
        assertThat(Instructions.of(program).toBytes()).isEqualTo(code);
    }

    @Test
    void decodesTheIsaProgramIntoTheExpectedRecords() {
        List<Instruction> program = Instruction.decode(bytes(ISA_PROGRAM_HEX));

        assertThat(program).hasSize(83);
        assertThat(program.get(1)).isEqualTo(new LoadAbsolute(Size.B, 12));
        assertThat(program.get(25)).isEqualTo(new Atomic(AtomicOp.CMPXCHG, Size.DW, Register.R10, -8, Register.R2));
        assertThat(program.get(45)).isEqualTo(new Alu(Width.BITS64, AluOp.SDIV, Register.R3, Immediate.of(3)));
        assertThat(program.get(69)).isEqualTo(new LoadImm64(Register.R1, 0x123456789abcdef0L));
        assertThat(program.get(70)).isEqualTo(new LoadImm64(Register.R1, -1L));
        assertThat(program.get(79)).isEqualTo(new GotoLong(0));
    }

    private static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
    }
}
