package io.bpf4j.core.object;

import io.bpf4j.core.asm.Instructions;
import io.bpf4j.core.btf.BtfExt;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything the kernel needs to load one program: pure data, built without touching the kernel.
 *
 * @param name               the program's name (the kernel keeps the first 15 bytes)
 * @param type               the program type
 * @param instructions       the program's instructions, map references resolved to file descriptors
 * @param license            the license string; GPL-only helpers need a GPL-compatible license
 * @param expectedAttachType the attach type the verifier should check against, if the type needs one
 * @param attachBtfId        the BTF id of the attach target (fentry, tp_btf, LSM…), 0 when none
 * @param attachBtfObjFd     the fd of the BTF object holding {@code attachBtfId} when it is a module's, or of the
 *                           target program for an extension (freplace) program (the kernel reads the same field
 *                           as attach_prog_fd), else 0
 * @param btfFd              the fd of the program's own BTF (for func/line info), or -1
 * @param kernVersion        the kernel version for old kprobe programs (LINUX_VERSION_CODE), 0 otherwise
 * @param flags              BPF_F_* program flags (e.g. BPF_F_SLEEPABLE = 1 << 4)
 * @param funcInfo           the BTF function of each of the program's functions ({@code bpf_func_info}), types in
 *                           {@code btfFd}'s BTF (so it needs a {@code btfFd}); empty for none. Extension (freplace) programs and their targets need
 *                           it, and it lets the verifier log and bpftool name functions
 * @param lineInfo           the C source line of runs of instructions ({@code bpf_line_info}), strings in
 *                           {@code btfFd}'s BTF, ascending; each record's {@code insnOffset} is the instruction
 *                           slot in this program (not the section byte offset .BTF.ext stores); empty for none. The verifier log then shows source
 *                           lines, and a {@link VerifierException} names the failing one
 */
public record ProgramSpec(String name, ProgramType type, Instructions instructions, String license,
                          Optional<AttachType> expectedAttachType, int attachBtfId, int attachBtfObjFd, int btfFd,
                          int kernVersion, int flags, List<FuncInfo> funcInfo, List<BtfExt.LineInfo> lineInfo) {

    /** BPF_F_SLEEPABLE: the program may sleep (uprobe.s, lsm.s, fentry.s…). */
    public static final int F_SLEEPABLE = 1 << 4;

    public ProgramSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(instructions, "instructions");
        Objects.requireNonNull(license, "license");
        Objects.requireNonNull(expectedAttachType, "expectedAttachType");
        funcInfo = List.copyOf(funcInfo);
        lineInfo = List.copyOf(lineInfo);
    }

    /** A spec without line info. */
    public ProgramSpec(String name, ProgramType type, Instructions instructions, String license,
                       Optional<AttachType> expectedAttachType, int attachBtfId, int attachBtfObjFd, int btfFd,
                       int kernVersion, int flags, List<FuncInfo> funcInfo) {
        this(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd, btfFd, kernVersion,
                flags, funcInfo, List.of());
    }

    /** The size of one line info record as the kernel reads it ({@code line_info_rec_size}). */
    public static final int LINE_INFO_SIZE = 16;

    /**
     * One function of the program as BTF describes it ({@code struct bpf_func_info}).
     *
     * @param insnOffset the slot where the function starts (0 for the main function)
     * @param typeId     the id of its FUNC type in the program's BTF
     */
    public record FuncInfo(int insnOffset, int typeId) {
        /** The size of one record as the kernel reads it ({@code func_info_rec_size}). */
        public static final int SIZE = 8;
    }

    /** A program with the GPL license and no attach type, BTF or flags: enough for most hand-built programs. */
    public static ProgramSpec of(String name, ProgramType type, Instructions instructions) {
        return new ProgramSpec(name, type, instructions, "GPL", Optional.empty(), 0, 0, -1, 0, 0, List.of());
    }

    /** This spec with another license. */
    public ProgramSpec withLicense(String license) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd,
                btfFd, kernVersion, flags, funcInfo, lineInfo);
    }

    /** This spec with the attach type the verifier should check against. */
    public ProgramSpec withExpectedAttachType(AttachType attachType) {
        return new ProgramSpec(name, type, instructions, license, Optional.of(attachType), attachBtfId,
                attachBtfObjFd, btfFd, kernVersion, flags, funcInfo, lineInfo);
    }

    /** This spec attached to a BTF-described target (fentry, fexit, tp_btf, LSM): its BTF id and object fd. */
    public ProgramSpec withAttachBtf(int btfId, int btfObjFd) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, btfId, btfObjFd, btfFd,
                kernVersion, flags, funcInfo, lineInfo);
    }

    /** This spec with the fd of the program's BTF (loaded with BPF_BTF_LOAD). */
    public ProgramSpec withBtf(int btfFd) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd,
                btfFd, kernVersion, flags, funcInfo, lineInfo);
    }

    /** This spec with BPF_F_* program flags. */
    public ProgramSpec withFlags(int flags) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd,
                btfFd, kernVersion, flags, funcInfo, lineInfo);
    }

    /** This spec with the source lines of its code (needs {@link #withBtf}): see {@link #lineInfo()}. */
    public ProgramSpec withLineInfo(List<BtfExt.LineInfo> lines) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd,
                btfFd, kernVersion, flags, funcInfo, lines);
    }

    /** This spec with the BTF functions of its code (needs {@link #withBtf}): see {@link #funcInfo()}. */
    public ProgramSpec withFuncInfo(List<FuncInfo> functions) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd,
                btfFd, kernVersion, flags, functions, lineInfo);
    }
}
