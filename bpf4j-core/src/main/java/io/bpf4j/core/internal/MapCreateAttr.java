package io.bpf4j.core.internal;

/**
 * The BPF_MAP_CREATE attributes bpf4j sets.
 *
 * @param mapType               {@code enum bpf_map_type}
 * @param keySize               the key size in bytes
 * @param valueSize             the value size in bytes
 * @param maxEntries            the number of elements (ring buffers: bytes)
 * @param mapFlags              BPF_F_* creation flags
 * @param innerMapFd            the template inner map of a map-in-map, -1 for none
 * @param numaNode              the NUMA node to allocate on, -1 for any
 * @param name                  the name; the kernel keeps {@link Bpf#objectName} of it
 * @param btfFd                 the BTF describing key and value, -1 for none
 * @param btfKeyTypeId          the key's type id in that BTF
 * @param btfValueTypeId        the value's type id in that BTF
 * @param btfVmlinuxValueTypeId the value's type id in kernel BTF (struct_ops maps), 0 for none
 * @param mapExtra              the type-specific map_extra (bloom filters: number of hash functions)
 */
public record MapCreateAttr(int mapType, int keySize, int valueSize, int maxEntries, int mapFlags, int innerMapFd,
                            int numaNode, String name, int btfFd, int btfKeyTypeId, int btfValueTypeId,
                            int btfVmlinuxValueTypeId, long mapExtra) {
}
