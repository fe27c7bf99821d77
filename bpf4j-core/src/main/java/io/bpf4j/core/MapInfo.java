package io.bpf4j.core;

import io.bpf4j.core.internal.Bpf;
import io.bpf4j.core.internal.BpfAttr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

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
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(BpfAttr.MapInfo.SIZE, 8);
            Bpf.objInfo(fd, info, arena);
            return new MapInfo(
                    info.get(JAVA_INT, BpfAttr.MapInfo.ID),
                    MapType.of(info.get(JAVA_INT, BpfAttr.MapInfo.TYPE)),
                    ProgramInfo.cString(info, BpfAttr.MapInfo.NAME, 16),
                    info.get(JAVA_INT, BpfAttr.MapInfo.KEY_SIZE),
                    info.get(JAVA_INT, BpfAttr.MapInfo.VALUE_SIZE),
                    info.get(JAVA_INT, BpfAttr.MapInfo.MAX_ENTRIES),
                    info.get(JAVA_INT, BpfAttr.MapInfo.MAP_FLAGS),
                    info.get(JAVA_INT, BpfAttr.MapInfo.IFINDEX),
                    info.get(JAVA_INT, BpfAttr.MapInfo.BTF_ID),
                    info.get(JAVA_INT, BpfAttr.MapInfo.BTF_KEY_TYPE_ID),
                    info.get(JAVA_INT, BpfAttr.MapInfo.BTF_VALUE_TYPE_ID),
                    info.get(JAVA_LONG, BpfAttr.MapInfo.MAP_EXTRA));
        }
    }
}
