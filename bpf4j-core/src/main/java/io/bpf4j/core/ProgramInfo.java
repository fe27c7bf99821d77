package io.bpf4j.core;

import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.object.ProgramType;

import java.time.Duration;
import java.util.HexFormat;

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
        Bpf.ProgInfo i = Bpf.progInfo(fd);
        return new ProgramInfo(i.id(), ProgramType.of(i.type()), i.name(), HexFormat.of().formatHex(i.tag()),
                i.xlatedProgLen(), i.jitedProgLen(), i.verifiedInsns(), i.nrMapIds(), i.btfId(), i.runCnt(),
                Duration.ofNanos(i.runTimeNs()), i.recursionMisses(), i.nrFuncInfo(), i.nrLineInfo());
    }
}
