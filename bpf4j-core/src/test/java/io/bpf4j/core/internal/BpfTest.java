package io.bpf4j.core.internal;

import io.bpf4j.core.error.Errno;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BpfTest {
    @Test
    void objectNamesKeepWhatTheKernelAccepts() {
        assertThat(Bpf.objectName("counts")).isEqualTo("counts");
        assertThat(Bpf.objectName("my-map.v2 (ß)")).isEqualTo("mymap.v2");
        assertThat(Bpf.objectName("a_very_long_name_for_a_map")).isEqualTo("a_very_long_nam").hasSize(15);
    }

    @KernelTest
    @Test
    void mapElementCommandsReturnErrnoAndTheInfoReadsBack() {
        assumeTrue(LibC.geteuid() == 0, "creating maps needs root");
        int fd = Bpf.mapCreate(new MapCreateAttr(1 /* hash */, 4, 8, 4, 0, -1, -1, "bpf_test", -1, 0, 0, 0, 0),
                "hash map 'bpf_test'");
        try (Arena arena = Arena.ofConfined()) {
            Bpf.ElemAttr attr = new Bpf.ElemAttr(arena);
            MemorySegment key = arena.allocate(JAVA_INT), value = arena.allocate(JAVA_LONG);
            key.set(JAVA_INT, 0, 7);
            value.set(JAVA_LONG, 0, 42);
            long k = key.address(), v = value.address();
            assertThat(Bpf.mapElem(attr, BpfCommand.MAP_LOOKUP_ELEM, fd, k, v, 0)).isEqualTo(-Errno.ENOENT.code());
            assertThat(Bpf.mapElem(attr, BpfCommand.MAP_UPDATE_ELEM, fd, k, v, 0)).isZero();
            value.set(JAVA_LONG, 0, 0);
            assertThat(Bpf.mapElem(attr, BpfCommand.MAP_LOOKUP_ELEM, fd, k, v, 0)).isZero();
            assertThat(value.get(JAVA_LONG, 0)).isEqualTo(42);
            MemorySegment next = arena.allocate(JAVA_INT);
            assertThat(Bpf.mapElem(attr, BpfCommand.MAP_GET_NEXT_KEY, fd, 0, next.address(), 0)).isZero();
            assertThat(next.get(JAVA_INT, 0)).isEqualTo(7);
            assertThat(Bpf.mapElem(attr, BpfCommand.MAP_DELETE_ELEM, fd, k, 0, 0)).isZero();
            assertThat(Bpf.mapElem(attr, BpfCommand.MAP_DELETE_ELEM, fd, k, 0, 0)).isEqualTo(-Errno.ENOENT.code());

            Bpf.MapInfo info = Bpf.mapInfo(fd);
            assertThat(info.name()).isEqualTo("bpf_test");
            assertThat(info.keySize()).isEqualTo(4);
            assertThat(info.valueSize()).isEqualTo(8);
            assertThat(info.maxEntries()).isEqualTo(4);
            int again = Bpf.getFdById(Bpf.ObjType.MAP, info.id());
            assertThat(Bpf.mapInfo(again).id()).isEqualTo(info.id());
            LibC.close(again);
        } finally {
            LibC.close(fd);
        }
        assertThatThrownBy(() -> Bpf.mapCreate(new MapCreateAttr(2 /* array */, 8, 8, 1, 0, -1, -1, "bad", -1, 0, 0,
                0, 0), "array map 'bad'"))
                .hasMessageStartingWith("BPF_MAP_CREATE (array map 'bad') failed: EINVAL");
    }
}
