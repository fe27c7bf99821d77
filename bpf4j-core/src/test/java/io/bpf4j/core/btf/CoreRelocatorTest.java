package io.bpf4j.core.btf;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.VerifierException;
import io.bpf4j.core.btf.BtfExt.CoreReloKind;
import io.bpf4j.core.object.ObjectProgram;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CO-RE relocation against the running kernel's BTF. The fixtures in src/test/c/core are compiled against a
 * vmlinux.h that {@link BtfCHeader} writes from this kernel's BTF; the conformance check loads the same object with
 * libbpf (src/test/c/harness/core_harness.c, built with gcc against Debian's libbpf-dev) and requires bpf4j's
 * relocated instructions and the kernel's program tag to be identical to libbpf's.
 */
class CoreRelocatorTest {
    /** The compiled fixture; skips the test when clang-19 or the kernel's BTF are missing. */
    static Path object(String name) {
        return LibbpfHarness.coreFixture(name);
    }

    /** libbpf's view: program name → [tag, instructions as 16 hex digits per slot…]. */
    static Map<String, List<String>> libbpf(Path object) {
        String out = LibbpfHarness.run(LibbpfHarness.binary().toString(), object.toAbsolutePath().toString());
        Map<String, List<String>> programs = new LinkedHashMap<>();
        for (String line : out.lines().toList()) {
            if (!line.startsWith("prog ")) continue;
            String[] f = line.split(" ");
            List<String> v = new ArrayList<>();
            v.add(f[3]); // tag
            for (int i = 7; i < f.length; i++) v.add(f[i]);
            programs.put(f[1], v);
        }
        assertThat(programs).as("libbpf harness output:\n" + out).isNotEmpty();
        return programs;
    }

    record Relocated(ObjectSpec spec, ObjectProgram program, CoreRelocator.Result result) {
    }

    /** bpf4j's relocation of {@code program} in {@code object}, the way BpfObject.load applies it. */
    static Relocated relocate(Path object, String program) {
        ObjectSpec spec = ObjectSpec.read(object);
        Btf btf = Btf.parse(spec.btf());
        BtfExt ext = BtfExt.parse(spec.btfExt(), btf);
        ObjectProgram p = spec.program(program).orElseThrow();
        List<CoreRelocator.Site> sites = new ArrayList<>();
        ext.coreRelocations().forEach((section, records) -> {
            for (int i = 0; i < records.size(); i++) {
                OptionalInt slot = p.slotOf(section, records.get(i).insnOffset());
                if (slot.isPresent()) sites.add(new CoreRelocator.Site(slot.getAsInt(), section, i, records.get(i)));
            }
        });
        return new Relocated(spec, p, CoreRelocator.forKernel(btf).relocate(program, p.instructions(), sites));
    }

    /** Slot hex strings with the map fds of pseudo ld_imm64 (src_reg 1, 2, 5, 6) blanked. */
    static List<String> masked(List<String> slots) {
        List<String> out = new ArrayList<>(slots);
        for (int i = 0; i < out.size(); i++) {
            String s = out.get(i);
            int src = Character.digit(s.charAt(2), 16);
            if (s.startsWith("18") && (src == 1 || src == 2 || src == 5 || src == 6)) {
                out.set(i, s.substring(0, 8) + "????????");
                i++; // second slot: kept (the value offset)
            } else if (s.startsWith("18")) {
                i++;
            }
        }
        return out;
    }

    static List<String> hexSlots(byte[] code) {
        List<String> out = new ArrayList<>();
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < code.length; i += 8) out.add(hex.formatHex(code, i, i + 8));
        return out;
    }

    static CoreRelocator.Outcome outcome(CoreRelocator.Result r, String access, CoreReloKind kind) {
        return r.outcomes().stream().filter(o -> o.access().equals(access) && o.site().relocation().kind() == kind)
                .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " relocation of " + access + " in "
                        + r.outcomes().stream().map(o -> o.site().relocation().kind() + " " + o.access()).toList()));
    }

    @KernelTest
    @Test
    void relocatedInstructionsEqualLibbpfs() {
        Path object = object("core_relocs");
        Map<String, List<String>> libbpf = libbpf(object);
        Relocated r = relocate(object, "core_all");
        List<String> ours = masked(hexSlots(r.result().instructions().toBytes()));
        List<String> theirs = masked(libbpf.get("core_all").subList(1, libbpf.get("core_all").size()));
        List<String> diffs = new ArrayList<>();
        for (int i = 0; i < Math.max(ours.size(), theirs.size()); i++) {
            String a = i < ours.size() ? ours.get(i) : "-";
            String b = i < theirs.size() ? theirs.get(i) : "-";
            if (!a.equals(b)) diffs.add("slot " + i + ": bpf4j " + a + " libbpf " + b);
        }
        assertThat(ours).hasSameSizeAs(theirs).hasSizeGreaterThan(100);
        assertThat(diffs).as("instructions that differ from libbpf's").isEmpty();
        // and the relocation did something: the flavored access is no longer what clang wrote
        assertThat(ours).isNotEqualTo(masked(hexSlots(r.program().instructions().toBytes())));
        assertThat(r.result().outcomes()).hasSizeGreaterThanOrEqualTo(39);
        // every kind is there
        assertThat(r.result().outcomes().stream().map(o -> o.site().relocation().kind()).distinct())
                .containsExactlyInAnyOrder(CoreReloKind.values());
    }

    @KernelTest
    @Test
    void loadedProgramHasLibbpfsTag() {
        Path object = object("core_relocs");
        Map<String, List<String>> libbpf = libbpf(object);
        try (BpfObject obj = BpfObject.load(ObjectSpec.read(object))) {
            assertThat(obj.program("core_all").info().tag()).isEqualTo(libbpf.get("core_all").getFirst());
        }
    }

    @KernelTest
    @Test
    void valuesComeFromTheKernelsBtf() {
        Relocated r = relocate(object("core_relocs"), "core_all");
        Btf kernel = KernelBtf.vmlinux();
        int task = kernel.typeId("task_struct", BtfKind.STRUCT).orElseThrow();
        BtfType.Struct ts = kernel.type(task, BtfType.Struct.class);
        long pidOffset = ts.members().stream().filter(m -> m.name().equals("pid")).findFirst().orElseThrow()
                .bitOffset() / 8;
        CoreRelocator.Result res = r.result();

        CoreRelocator.Outcome flavor = outcome(res, "task_struct___mine.pid", CoreReloKind.FIELD_BYTE_OFFSET);
        assertThat(flavor.localValue()).isEqualTo(4);
        assertThat(flavor.targetValue()).isEqualTo(pidOffset);
        assertThat(flavor.target()).isEqualTo("vmlinux");
        assertThat(outcome(res, "task_struct.comm", CoreReloKind.FIELD_BYTE_SIZE).targetValue()).isEqualTo(16);
        assertThat(outcome(res, "task_struct.pid", CoreReloKind.FIELD_EXISTS).targetValue()).isEqualTo(1);
        CoreRelocator.Outcome missing = outcome(res, "task_struct___missing.no_such_field",
                CoreReloKind.FIELD_EXISTS);
        assertThat(missing.targetValue()).isZero();
        assertThat(missing.poisoned()).isFalse();
        CoreRelocator.Outcome poisoned = outcome(res, "task_struct___missing.no_such_field",
                CoreReloKind.FIELD_BYTE_OFFSET);
        assertThat(poisoned.poisoned()).isTrue();
        assertThat(poisoned.poisonReason()).contains("field 'task_struct___missing.no_such_field' not found in "
                + "kernel BTF");
        assertThat(res.instructions().toBytes()[poisoned.site().slot() * 8]).isEqualTo((byte) 0x85);
        assertThat(outcome(res, "task_struct___bits.in_iowait", CoreReloKind.FIELD_SIGNED).localValue()).isOne();
        assertThat(outcome(res, "task_struct___bits.in_iowait", CoreReloKind.FIELD_SIGNED).targetValue()).isZero();
        assertThat(outcome(res, "task_struct.pid", CoreReloKind.FIELD_SIGNED).targetValue()).isOne();
        assertThat(outcome(res, "task_struct.sched_reset_on_fork", CoreReloKind.FIELD_RSHIFT_U64).targetValue())
                .isEqualTo(63);
        assertThat(outcome(res, "struct task_struct", CoreReloKind.TYPE_ID_TARGET).targetValue()).isEqualTo(task);
        assertThat(outcome(res, "struct task_struct___mine", CoreReloKind.TYPE_ID_TARGET).targetValue())
                .isEqualTo(task);
        assertThat(outcome(res, "struct task_struct___mine", CoreReloKind.TYPE_EXISTS).targetValue()).isOne();
        assertThat(outcome(res, "struct no_such_type___x", CoreReloKind.TYPE_EXISTS).targetValue()).isZero();
        assertThat(outcome(res, "struct task_struct___mine", CoreReloKind.TYPE_SIZE).targetValue())
                .isEqualTo(ts.size());
        assertThat(outcome(res, "struct no_such_type___x", CoreReloKind.TYPE_SIZE).targetValue()).isZero();
        assertThat(outcome(res, "struct task_struct___mine", CoreReloKind.TYPE_MATCHES).targetValue()).isOne();
        assertThat(outcome(res, "struct sk_buff___nomatch", CoreReloKind.TYPE_MATCHES).targetValue()).isZero();
        BtfType.Enum funcId = kernel.find(BtfType.Enum.class, "bpf_func_id").orElseThrow();
        long ringbufOutput = funcId.values().stream().filter(v -> v.name().equals("BPF_FUNC_ringbuf_output"))
                .findFirst().orElseThrow().value();
        assertThat(outcome(res, "enum bpf_func_id___x::BPF_FUNC_ringbuf_output___x", CoreReloKind.ENUMVAL_VALUE)
                .targetValue()).isEqualTo(ringbufOutput);
        assertThat(outcome(res, "enum bpf_func_id___x::BPF_FUNC_no_such_helper___x", CoreReloKind.ENUMVAL_EXISTS)
                .targetValue()).isZero();
        assertThat(outcome(res, "enum bpf_func_id___x::BPF_FUNC_no_such_helper___x", CoreReloKind.ENUMVAL_VALUE)
                .poisoned()).isTrue();
        // the subprogram's relocation (listed under .text) lands in the copy appended to core_all
        CoreRelocator.Outcome sub = outcome(res, "task_struct.tgid", CoreReloKind.FIELD_BYTE_OFFSET);
        assertThat(sub.site().section()).isEqualTo(".text");
        assertThat(sub.site().slot()).isGreaterThanOrEqualTo(r.program().functions().get(1).slot());
        // the wider local field: a DW load narrowed to the kernel's W
        CoreRelocator.Outcome wide = outcome(res, "task_struct___wide.flags", CoreReloKind.FIELD_BYTE_OFFSET);
        byte opcode = res.instructions().toBytes()[wide.site().slot() * 8];
        assertThat(opcode & 0x18).as("size bits of the narrowed load").isEqualTo(0x00); // BPF_W
    }

    @KernelTest
    @Test
    void rejectionNamesTheFailedFieldAccess() {
        Path object = object("core_poison");
        assertThatThrownBy(() -> BpfObject.load(ObjectSpec.read(object)).close())
                .isInstanceOf(VerifierException.class)
                .satisfies(e -> System.out.println("CoreRelocatorTest: the rejection reads:\n" + e.getMessage()))
                .hasMessageContaining("CO-RE relocation #")
                .hasMessageContaining("field 'task_struct___missing.no_such_field' not found in kernel BTF");
    }

    @Test
    void essentialNames() {
        assertThat(CoreRelocator.essentialName("task_struct___mine")).isEqualTo("task_struct");
        assertThat(CoreRelocator.essentialName("a___b___c")).isEqualTo("a___b");
        assertThat(CoreRelocator.essentialName("__u32")).isEqualTo("__u32");
        assertThat(CoreRelocator.essentialName("x____y")).isEqualTo("x____y");
        assertThat(CoreRelocator.essentialName("nf_conn___init")).isEqualTo("nf_conn");
    }

    /** Two kernel candidates that place the field differently: libbpf refuses, so must we. */
    @Test
    void ambiguousCandidatesAreRefused() {
        BtfType.Int i32 = BtfType.Int.of("int", 4, true);
        Btf local = Btf.of(List.of(i32, new BtfType.Struct("s___local", 4, List.of(BtfType.Member.of("f", 1, 0)))));
        Btf target = Btf.of(List.of(i32,
                new BtfType.Struct("s", 8, List.of(BtfType.Member.of("f", 1, 0))),
                new BtfType.Struct("s___v2", 8, List.of(BtfType.Member.of("g", 1, 0), BtfType.Member.of("f", 1, 32)))));
        byte[] code = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) 0x07).put((byte) 0x01).putShort((short) 0).putInt(0) // r1 += 0
                .put((byte) 0x95).put((byte) 0).putShort((short) 0).putInt(0).array(); // exit
        var site = new CoreRelocator.Site(0, "x", 0, new BtfExt.CoreRelocation(0, 2, "0:0",
                CoreReloKind.FIELD_BYTE_OFFSET));
        assertThatThrownBy(() -> CoreRelocator.forTarget(local, target).relocate("p",
                io.bpf4j.core.asm.Instructions.decode(code), List.of(site)))
                .isInstanceOf(BtfException.class).hasMessageContaining("ambiguity");
        // with one candidate, the offset is patched
        Btf single = Btf.of(List.of(i32, new BtfType.Struct("s", 8,
                List.of(BtfType.Member.of("g", 1, 0), BtfType.Member.of("f", 1, 32)))));
        var result = CoreRelocator.forTarget(local, single).relocate("p", io.bpf4j.core.asm.Instructions.decode(code),
                List.of(site));
        assertThat(result.outcomes().getFirst().targetValue()).isEqualTo(4);
        assertThat(ByteBuffer.wrap(result.instructions().toBytes()).order(ByteOrder.LITTLE_ENDIAN).getInt(4))
                .isEqualTo(4);
    }
}
