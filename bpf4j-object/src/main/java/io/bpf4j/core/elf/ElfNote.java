package io.bpf4j.core.elf;

/**
 * One note of an {@link ElfSection#SHT_NOTE} section ({@code Elf64_Nhdr} followed by name and descriptor),
 * e.g. the {@code stapsdt} notes that describe USDT probes.
 *
 * @param name        the note's owner, e.g. {@code stapsdt}, {@code GNU}
 * @param type        the owner-defined note type
 * @param descriptor  the note's payload (a copy)
 */
public record ElfNote(String name, int type, byte[] descriptor) {
    public ElfNote {
        descriptor = descriptor.clone();
    }

    @Override
    public byte[] descriptor() {
        return descriptor.clone();
    }
}
