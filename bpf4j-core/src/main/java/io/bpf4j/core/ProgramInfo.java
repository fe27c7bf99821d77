package io.bpf4j.core;

import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfAttr.ProgInfo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.HexFormat;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * What the kernel reports about a loaded program (BPF_OBJ_GET_INFO_BY_FD), as {@code bpftool prog show} does.
 *
 * @param id                 the kernel's id for the program
 * @param type               the program type
 * @param name               the (at most 15-byte) name
 * @param tag                the program tag: a hash of the instructions as loaded, in hex (as bpftool shows it)
 * @param xlatedLength       the size in bytes of the instructions after the verifier rewrote them
 * @param jitedLength        the size in bytes of the JIT-compiled code
 * @param verifiedInstructions how many instructions the verifier processed
 * @param mapCount           how many maps the program uses
 * @param btfId              the id of the program's BTF, 0 when none
 * @param runCount           how often it ran (counted while BPF stats are enabled)
 * @param runTime            the total time it ran (counted while BPF stats are enabled)
 * @param recursionMisses    how often it did not run because it was already running on that CPU
 * @param funcInfoCount      how many BTF func info records it was loaded with (one per function), 0 without BTF
 * @param lineInfoCount      how many BTF line info records it was loaded with, 0 without BTF
 */
public record ProgramInfo(int id, ProgramType type, String name, String tag, int xlatedLength, int jitedLength,
                          int verifiedInstructions, int mapCount, int btfId, long runCount, Duration runTime,
                          long recursionMisses, int funcInfoCount, int lineInfoCount) {

    /** Reads the info of the program behind {@code fd}. */
    public static ProgramInfo of(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(ProgInfo.SIZE, 8);
            Bpf.objInfo(fd, info, arena);
            return new ProgramInfo(
                    info.get(JAVA_INT, ProgInfo.ID),
                    ProgramType.of(info.get(JAVA_INT, ProgInfo.TYPE)),
                    cString(info, ProgInfo.NAME, 16),
                    HexFormat.of().formatHex(info.asSlice(ProgInfo.TAG, 8).toArray(JAVA_BYTE)),
                    info.get(JAVA_INT, ProgInfo.XLATED_PROG_LEN),
                    info.get(JAVA_INT, ProgInfo.JITED_PROG_LEN),
                    info.get(JAVA_INT, ProgInfo.VERIFIED_INSNS),
                    info.get(JAVA_INT, ProgInfo.NR_MAP_IDS),
                    info.get(JAVA_INT, ProgInfo.BTF_ID),
                    info.get(JAVA_LONG, ProgInfo.RUN_CNT),
                    Duration.ofNanos(info.get(JAVA_LONG, ProgInfo.RUN_TIME_NS)),
                    info.get(JAVA_LONG, ProgInfo.RECURSION_MISSES),
                    info.get(JAVA_INT, ProgInfo.NR_FUNC_INFO),
                    info.get(JAVA_INT, ProgInfo.NR_LINE_INFO));
        }
    }

    /** A NUL-terminated string of at most {@code max} bytes inside {@code seg}. */
    static String cString(MemorySegment seg, long offset, int max) {
        int n = 0;
        while (n < max && seg.get(JAVA_BYTE, offset + n) != 0) n++;
        return new String(seg.asSlice(offset, n).toArray(JAVA_BYTE), java.nio.charset.StandardCharsets.UTF_8);
    }
}
