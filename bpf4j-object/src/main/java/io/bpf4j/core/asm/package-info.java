/**
 * eBPF instructions as Java values: an instruction model covering the whole instruction set
 * (RFC 9669 plus the Linux extensions: v4 sign-extending and signed-division forms, {@code gotol},
 * {@code may_goto}, arena address-space casts, load-acquire/store-release), an {@link io.bpf4j.core.asm.Assembler}
 * with labels and helpers by name, and a {@link io.bpf4j.core.asm.Disassembler} whose text reads like
 * {@code bpftool prog dump xlated}.
 *
 * <p>Each instruction is a record implementing the sealed {@link io.bpf4j.core.asm.Instruction}; a
 * {@code switch} over it is checked for exhaustiveness by the compiler. {@link io.bpf4j.core.asm.Instruction#toRaw()}
 * gives back the fields of the kernel's {@code struct bpf_insn}, {@link io.bpf4j.core.asm.Instruction#encode()}
 * the little-endian bytes, and {@link io.bpf4j.core.asm.Instruction#decode(byte[])} the model again.
 *
 * <p>This package depends on nothing else in bpf4j, so it can be used (and tested) without a kernel.
 */
package io.bpf4j.core.asm;
