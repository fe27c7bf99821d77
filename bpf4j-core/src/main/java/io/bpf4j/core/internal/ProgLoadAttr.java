package io.bpf4j.core.internal;

/**
 * The BPF_PROG_LOAD attributes bpf4j sets (without the log, which {@link Bpf#progLoad(ProgLoadAttr, int)} adds).
 *
 * @param progType           {@code enum bpf_prog_type}
 * @param insns              the instructions, 8 bytes each, in native byte order
 * @param license            the license string ("GPL" for GPL-only helpers)
 * @param kernVersion        the kernel version kprobe programs of old kernels had to name, else 0
 * @param progFlags          BPF_F_* load flags
 * @param name               the name; the kernel keeps {@link Bpf#objectName} of it
 * @param expectedAttachType {@code enum bpf_attach_type} the program is loaded for (0 when none is needed)
 * @param btfFd              the program's BTF, -1 for none
 * @param funcInfo           {@code struct bpf_func_info} records, two ints each (insn_off, type_id)
 * @param lineInfo           {@code struct bpf_line_info} records, four ints each (insn_off, file_name_off,
 *                           line_off, line_col)
 * @param attachBtfId        the BTF id of the attach target (tracing, LSM, extension programs), else 0
 * @param attachBtfObjFd     the BTF object (module) or program the target id refers to, 0 for vmlinux
 */
public record ProgLoadAttr(int progType, byte[] insns, String license, int kernVersion, int progFlags, String name,
                           int expectedAttachType, int btfFd, int[] funcInfo, int[] lineInfo, int attachBtfId,
                           int attachBtfObjFd) {
}
