package io.bpf4j.core.elf;

import io.bpf4j.core.asm.Instruction;
import io.bpf4j.core.asm.LoadFunction;
import io.bpf4j.core.asm.LoadMapFd;
import io.bpf4j.core.asm.LoadMapValue;
import io.bpf4j.core.asm.SubprogramCall;
import io.bpf4j.core.object.AttachType;
import io.bpf4j.core.object.MapSpec;
import io.bpf4j.core.object.MapType;
import io.bpf4j.core.object.ObjectExtern;
import io.bpf4j.core.object.ObjectMap;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.core.object.ProgramSection;
import io.bpf4j.core.object.ProgramType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ObjectSpecTest {

    static ObjectSpec spec(String fixture) {
        return ObjectSpec.read(Fixtures.object(fixture));
    }

    @Test
    void tracepointWithHashMapAndRingBuffer() {
        ObjectSpec spec = spec("tracepoint_hash_ringbuf");
        assertThat(spec.license()).isEqualTo("GPL");
        assertThat(spec.btf()).isNotEmpty();
        assertThat(spec.btfExt()).isNotEmpty();
        assertThat(spec.programs()).extracting(ObjectProgram::name).containsExactly("count_openat", "exit_openat");

        ObjectProgram p = spec.program("count_openat").orElseThrow();
        assertThat(p.type()).isEqualTo(ProgramType.TRACEPOINT);
        assertThat(p.sectionName()).isEqualTo("tracepoint/syscalls/sys_enter_openat");
        assertThat(p.attachTarget()).isEqualTo("syscalls/sys_enter_openat");
        assertThat(p.autoload()).isTrue();
        assertThat(p.instructions().size()).isEqualTo(Fixtures.objdumpSlots("tracepoint_hash_ringbuf").get("count_openat"));
        assertThat(p.maps()).extracting(ObjectProgram.MapRelocation::map).containsExactly("counts", "counts", "events");
        for (ObjectProgram.MapRelocation r : p.maps()) {
            assertThat(at(p, r.slot())).isInstanceOf(LoadMapFd.class);
            assertThat(r.use()).isEqualTo(ObjectProgram.MapUse.MAP);
        }

        ObjectProgram exit = spec.program("exit_openat").orElseThrow();
        assertThat(exit.autoload()).as("SEC(\"?tp/…\") does not load by default").isFalse();
        assertThat(exit.attachTarget()).isEqualTo("syscalls/sys_exit_openat");

        ObjectMap counts = spec.map("counts").orElseThrow();
        assertThat(counts.kind()).isEqualTo(ObjectMap.Kind.BTF_DEFINED);
        assertThat(counts.spec().type()).isEqualTo(MapType.HASH);
        assertThat(counts.spec().keySize()).isEqualTo(4);
        assertThat(counts.spec().valueSize()).isEqualTo(8);
        assertThat(counts.spec().maxEntries()).isEqualTo(1024);
        assertThat(counts.btfKeyTypeId()).isPositive();
        ObjectMap events = spec.map("events").orElseThrow();
        assertThat(events.spec().type()).isEqualTo(MapType.RINGBUF);
        assertThat(events.spec().maxEntries()).isEqualTo(256 * 1024);
        assertThat(events.spec().keySize()).isZero();
    }

    @Test
    void xdpWithArrayMapAndGlobalData() {
        ObjectSpec spec = spec("xdp_rodata");
        assertThat(spec.license()).isEqualTo("Dual BSD/GPL");
        ObjectProgram xdp = spec.program("xdp_count").orElseThrow();
        assertThat(xdp.type()).isEqualTo(ProgramType.XDP);
        assertThat(xdp.expectedAttachType()).contains(AttachType.XDP);
        assertThat(xdp.flags()).isZero();
        Map<String, Integer> objdump = Fixtures.objdumpSlots("xdp_rodata");
        assertThat(xdp.instructions().size()).isEqualTo(objdump.get("xdp_count"));
        ObjectProgram frags = spec.program("xdp_frags_pass").orElseThrow();
        assertThat(frags.flags()).isEqualTo(ProgramSection.F_XDP_HAS_FRAGS);
        assertThat(frags.instructions().size()).isEqualTo(objdump.get("xdp_frags_pass"));

        assertThat(spec.maps()).extracting(ObjectMap::name).containsExactly(".rodata", ".data", "packets", ".bss");
        ObjectMap rodata = spec.map(".rodata").orElseThrow();
        assertThat(rodata.kind()).isEqualTo(ObjectMap.Kind.DATA);
        assertThat(rodata.readOnly()).isTrue();
        assertThat(rodata.spec().type()).isEqualTo(MapType.ARRAY);
        assertThat(rodata.spec().valueSize()).isEqualTo(16);
        assertThat(rodata.spec().maxEntries()).isEqualTo(1);
        assertThat(rodata.spec().flags() & MapSpec.F_RDONLY_PROG).isNotZero();
        assertThat(rodata.variables()).containsExactly(new ObjectMap.Variable("verdict", 0, 4),
                new ObjectMap.Variable("magic", 8, 8));
        ByteBuffer ro = ByteBuffer.wrap(rodata.data()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(ro.getInt(0)).isEqualTo(2); // XDP_PASS
        assertThat(ro.getLong(8)).isEqualTo(0x1122334455667788L);
        assertThat(ByteBuffer.wrap(spec.map(".data").orElseThrow().data()).order(ByteOrder.LITTLE_ENDIAN).getLong())
                .isEqualTo(7);
        ObjectMap bss = spec.map(".bss").orElseThrow();
        assertThat(bss.data()).containsExactly(new byte[8]);
        assertThat(bss.readOnly()).isFalse();

        // global variables become BPF_PSEUDO_MAP_VALUE loads with the variable's offset
        List<ObjectProgram.MapRelocation> values = xdp.maps().stream()
                .filter(r -> r.use() == ObjectProgram.MapUse.VALUE).toList();
        assertThat(values).extracting(ObjectProgram.MapRelocation::map).containsExactly(".data", ".rodata", ".bss");
        assertThat(at(frags, frags.maps().getFirst().slot())).isEqualTo(
                new LoadMapValue(((LoadMapValue) at(frags, frags.maps().getFirst().slot())).dst(), 0, 8));

        ObjectSpec tuned = spec.withVariable("verdict", 1);
        assertThat(ByteBuffer.wrap(tuned.map(".rodata").orElseThrow().data()).order(ByteOrder.LITTLE_ENDIAN).getInt(0))
                .isEqualTo(1);
        assertThatThrownBy(() -> spec.withVariable("nope", 1)).hasMessageContaining("verdict");
    }

    @Test
    void subprogramsAreLinkedIntoEachProgramThatCallsThem() {
        ObjectSpec spec = spec("subprograms");
        assertThat(spec.programs()).extracting(ObjectProgram::name).containsExactly("sock_a", "sock_b", "tc_plain");
        Map<String, Integer> objdump = Fixtures.objdumpSlots("subprograms");

        ObjectProgram a = spec.program("sock_a").orElseThrow();
        assertThat(a.type()).isEqualTo(ProgramType.SOCKET_FILTER);
        // sock_a calls add_twice (global) which calls twice (static, transitively); sock_a also calls twice
        assertThat(a.functions()).extracting(ObjectProgram.Function::name).containsExactly("sock_a", "add_twice",
                "twice");
        assertThat(a.instructions().size()).isEqualTo(objdump.get("sock_a") + objdump.get("add_twice")
                + objdump.get("twice"));
        assertCallsLandOnFunctionStarts(a);

        ObjectProgram b = spec.program("sock_b").orElseThrow();
        assertThat(b.functions()).extracting(ObjectProgram.Function::name).containsExactly("sock_b", "minus_one",
                "add_twice", "twice");
        assertCallsLandOnFunctionStarts(b);

        ObjectProgram tc = spec.program("tc_plain").orElseThrow();
        assertThat(tc.type()).isEqualTo(ProgramType.SCHED_CLS);
        assertThat(tc.functions()).extracting(ObjectProgram.Function::name).containsExactly("tc_plain", "twice");
        assertCallsLandOnFunctionStarts(tc);
    }

    @Test
    void callbackAddressLinksTheCallback() {
        ObjectProgram p = spec("callback").program("sum_loop").orElseThrow();
        assertThat(p.type()).isEqualTo(ProgramType.SYSCALL);
        assertThat(p.sleepable()).isTrue();
        assertThat(p.functions()).extracting(ObjectProgram.Function::name).containsExactly("sum_loop", "add_index");
        int slot = 0;
        boolean found = false;
        for (Instruction insn : p.instructions()) {
            if (insn instanceof LoadFunction f) {
                assertThat(slot + 1 + f.offset()).isEqualTo(p.functions().get(1).slot());
                found = true;
            }
            slot += insn.slots();
        }
        assertThat(found).isTrue();
    }

    @Test
    void mapInMapAndProgArrayWithInitialValues() {
        ObjectSpec spec = spec("map_in_map");
        assertThat(spec.programs()).extracting(ObjectProgram::name).containsExactly("tail", "lookup_inner");
        assertThat(spec.program("tail").orElseThrow().type()).isEqualTo(ProgramType.RAW_TRACEPOINT);
        assertThat(spec.program("tail").orElseThrow().attachTarget()).isEqualTo("sys_enter");

        ObjectMap outer = spec.map("outer").orElseThrow();
        assertThat(outer.spec().type()).isEqualTo(MapType.ARRAY_OF_MAPS);
        assertThat(outer.spec().keySize()).isEqualTo(4);
        assertThat(outer.spec().valueSize()).isEqualTo(4);
        assertThat(outer.spec().maxEntries()).isEqualTo(4);
        MapSpec inner = outer.spec().innerMap().orElseThrow();
        assertThat(inner.type()).isEqualTo(MapType.ARRAY);
        assertThat(inner.valueSize()).isEqualTo(4);
        assertThat(outer.initialValues()).containsExactly(new ObjectMap.InitialValue(0, "inner_a", false),
                new ObjectMap.InitialValue(2, "inner_b", false));

        ObjectMap jumps = spec.map("jumps").orElseThrow();
        assertThat(jumps.spec().type()).isEqualTo(MapType.PROG_ARRAY);
        assertThat(jumps.initialValues()).containsExactly(new ObjectMap.InitialValue(1, "tail", true));

        ObjectMap pinned = spec.map("pinned_hash").orElseThrow();
        assertThat(pinned.pinning()).isEqualTo(ObjectMap.Pinning.BY_NAME);
        assertThat(pinned.spec().flags()).isEqualTo(MapSpec.F_NO_PREALLOC);
        assertThat(pinned.spec().keySize()).isEqualTo(8);
    }

    @Test
    void legacyMapsKconfigExternAndVersion() {
        ObjectSpec spec = spec("legacy_maps");
        assertThat(spec.kernelVersion()).isEqualTo(0x061200);
        ObjectMap rb = spec.map("rb").orElseThrow();
        assertThat(rb.kind()).isEqualTo(ObjectMap.Kind.LEGACY);
        assertThat(rb.spec().type()).isEqualTo(MapType.RINGBUF);
        assertThat(rb.spec().maxEntries()).isEqualTo(16384);
        ObjectMap hash = spec.map("legacy_hash").orElseThrow();
        assertThat(hash.spec().type()).isEqualTo(MapType.HASH);
        assertThat(hash.spec().keySize()).isEqualTo(4);
        assertThat(hash.spec().valueSize()).isEqualTo(8);
        assertThat(hash.spec().maxEntries()).isEqualTo(64);
        assertThat(spec.externs()).containsExactly(
                new ObjectExtern("LINUX_KERNEL_VERSION", ObjectExtern.Kind.KCONFIG, true, false));
        ObjectProgram p = spec.program("on_exec").orElseThrow();
        assertThat(p.externs()).extracting(ObjectProgram.ExternRelocation::name).containsExactly("LINUX_KERNEL_VERSION");
        assertThat(p.maps()).extracting(ObjectProgram.MapRelocation::map).containsExactly("rb");
    }

    @Test
    void ringBufferWithoutLegacyMaps() {
        ObjectSpec spec = spec("ringbuf_only");
        assertThat(spec.maps()).extracting(ObjectMap::name).containsExactly("rb");
        assertThat(spec.program("on_sys_enter").orElseThrow().type()).isEqualTo(ProgramType.RAW_TRACEPOINT);
        assertThat(spec.externs()).isEmpty();
    }

    @Test
    void notABpfObject() throws Exception {
        byte[] libjvm = java.nio.file.Files.readAllBytes(
                java.nio.file.Path.of(System.getProperty("java.home"), "lib/server/libjvm.so"));
        assertThatThrownBy(() -> ObjectSpec.parse(libjvm)).isInstanceOf(ElfException.class)
                .hasMessageContaining("not a BPF object").hasMessageContaining("EM_BPF");
    }

    /** Every call and function address in {@code p} lands on the first slot of a placed function. */
    private static void assertCallsLandOnFunctionStarts(ObjectProgram p) {
        List<Integer> starts = p.functions().stream().map(ObjectProgram.Function::slot).toList();
        int slot = 0, calls = 0;
        for (Instruction insn : p.instructions()) {
            if (insn instanceof SubprogramCall c) {
                assertThat(starts).as("call at slot " + slot).contains(slot + 1 + c.offset());
                calls++;
            }
            slot += insn.slots();
        }
        assertThat(calls).isPositive();
    }

    private static Instruction at(ObjectProgram p, int wanted) {
        int slot = 0;
        for (Instruction insn : p.instructions()) {
            if (slot == wanted) return insn;
            slot += insn.slots();
        }
        throw new AssertionError("no instruction starts at slot " + wanted);
    }

}
