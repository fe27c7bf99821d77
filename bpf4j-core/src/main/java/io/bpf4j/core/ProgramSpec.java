package io.bpf4j.core;

import io.bpf4j.core.asm.Instructions;

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
 */
public record ProgramSpec(String name, ProgramType type, Instructions instructions, String license,
                          Optional<AttachType> expectedAttachType, int attachBtfId, int attachBtfObjFd, int btfFd,
                          int kernVersion, int flags) {

    /** BPF_F_SLEEPABLE: the program may sleep (uprobe.s, lsm.s, fentry.s…). */
    public static final int F_SLEEPABLE = 1 << 4;

    public ProgramSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(instructions, "instructions");
        Objects.requireNonNull(license, "license");
        Objects.requireNonNull(expectedAttachType, "expectedAttachType");
    }

    /** A program with the GPL license and no attach type, BTF or flags: enough for most hand-built programs. */
    public static ProgramSpec of(String name, ProgramType type, Instructions instructions) {
        return new ProgramSpec(name, type, instructions, "GPL", Optional.empty(), 0, 0, -1, 0, 0);
    }

    /** This spec with another license. */
    public ProgramSpec withLicense(String license) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd,
                btfFd, kernVersion, flags);
    }

    /** This spec with the attach type the verifier should check against. */
    public ProgramSpec withExpectedAttachType(AttachType attachType) {
        return new ProgramSpec(name, type, instructions, license, Optional.of(attachType), attachBtfId,
                attachBtfObjFd, btfFd, kernVersion, flags);
    }

    /** This spec attached to a BTF-described target (fentry, fexit, tp_btf, LSM): its BTF id and object fd. */
    public ProgramSpec withAttachBtf(int btfId, int btfObjFd) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, btfId, btfObjFd, btfFd,
                kernVersion, flags);
    }

    /** This spec with the fd of the program's BTF (loaded with BPF_BTF_LOAD). */
    public ProgramSpec withBtf(int btfFd) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd,
                btfFd, kernVersion, flags);
    }

    /** This spec with BPF_F_* program flags. */
    public ProgramSpec withFlags(int flags) {
        return new ProgramSpec(name, type, instructions, license, expectedAttachType, attachBtfId, attachBtfObjFd,
                btfFd, kernVersion, flags);
    }
}
