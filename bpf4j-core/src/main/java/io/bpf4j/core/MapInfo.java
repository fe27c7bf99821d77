package io.bpf4j.core;

import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.object.MapType;

/**
 * What the kernel reports about a map (BPF_OBJ_GET_INFO_BY_FD into {@code struct bpf_map_info}), as
 * {@code bpftool map show} prints it.
 *
 * @param id             the kernel's id for the map
 * @param type           the map type
 * @param name           the (at most 15-byte) name
 * @param keySize        the key size in bytes
 * @param valueSize      the value size in bytes (for per-CPU maps, one CPU's value)
 * @param maxEntries     the number of elements (ring buffers: size in bytes)
 * @param flags          the BPF_F_* creation flags
 * @param ifindex        the network device the map is offloaded to, 0 when none
 * @param btfId          the id of the BTF describing key and value, 0 when none
 * @param btfKeyTypeId   the BTF type id of the key, 0 when none
 * @param btfValueTypeId the BTF type id of the value, 0 when none
 * @param mapExtra       the type-specific map_extra (bloom filters: number of hash functions)
 */
public record MapInfo(int id, MapType type, String name, int keySize, int valueSize, int maxEntries, int flags,
                      int ifindex, int btfId, int btfKeyTypeId, int btfValueTypeId, long mapExtra) {

    /** Reads the info of the map behind {@code fd}. */
    public static MapInfo of(int fd) {
        Bpf.MapInfo i = Bpf.mapInfo(fd);
        return new MapInfo(i.id(), MapType.of(i.type()), i.name(), i.keySize(), i.valueSize(), i.maxEntries(),
                i.flags(), i.ifindex(), i.btfId(), i.btfKeyTypeId(), i.btfValueTypeId(), i.mapExtra());
    }
}
