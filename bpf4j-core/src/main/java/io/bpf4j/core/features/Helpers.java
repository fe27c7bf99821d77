package io.bpf4j.core.features;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import static io.bpf4j.core.features.Insns.R0;
import static io.bpf4j.core.features.Insns.R1;
import static io.bpf4j.core.features.Insns.R10;
import static io.bpf4j.core.features.Insns.R2;
import static io.bpf4j.core.features.Insns.R3;
import static io.bpf4j.core.features.Insns.R4;
import static io.bpf4j.core.features.Insns.R5;
import static io.bpf4j.core.features.Insns.R6;

/**
 * The common helpers the probe checks, with their numbers ({@code enum bpf_func_id}) and a legal call of each:
 * the probe program sets up real arguments, so a load failure means the helper is missing or the program type
 * may not call it, not that the arguments were wrong.
 *
 * <p>Every probe program starts with {@code r6 = ctx} and eight zeroed stack slots at fp-8 … fp-64.
 */
final class Helpers {
    /** The maps a helper probe may pass (file descriptors, -1 when the map could not be created). */
    record Maps(int hash, int progArray, int perfArray, int stackTrace, int ringbuf) {
    }

    /** One helper: its name without {@code bpf_}, its number, which maps it needs and how to call it. */
    record Helper(String name, int id, String map, BiConsumer<Insns, Maps> call, String config) {
    }

    static final Map<String, Helper> ALL = new LinkedHashMap<>();

    private static void def(String name, int id, String map, BiConsumer<Insns, Maps> args) {
        def(name, id, map, args, null);
    }

    private static void def(String name, int id, String map, BiConsumer<Insns, Maps> args, String config) {
        ALL.put(name, new Helper(name, id, map, (c, m) -> {
            args.accept(c, m);
            c.call(id);
        }, config));
    }

    private static void noArgs(String name, int id) {
        def(name, id, null, (c, m) -> { });
    }

    /** r1 = fp-16, r2 = 8, r3 = 0: a probe_read-style call. */
    private static void readLike(String name, int id) {
        def(name, id, null, (c, m) -> c.movReg(R1, R10).addImm(R1, -16).mov(R2, 8).mov(R3, 0));
    }

    private static void ringbufPair(String name, int id, int releaseId) {
        ALL.put(name, new Helper(name, id, "ringbuf", (c, m) -> {
            c.ldMap(R1, m.ringbuf()).mov(R2, 8).mov(R3, 0).call(131)
                    .jeq(R0, 0, 3)
                    .movReg(R1, R0).mov(R2, 0).call(releaseId);
        }, null));
    }

    static {
        def("map_lookup_elem", 1, "hash", (c, m) -> c.ldMap(R1, m.hash()).movReg(R2, R10).addImm(R2, -8));
        def("map_update_elem", 2, "hash", (c, m) -> c.ldMap(R1, m.hash()).movReg(R2, R10).addImm(R2, -8)
                .movReg(R3, R10).addImm(R3, -16).mov(R4, 0));
        def("map_delete_elem", 3, "hash", (c, m) -> c.ldMap(R1, m.hash()).movReg(R2, R10).addImm(R2, -8));
        readLike("probe_read", 4);
        noArgs("ktime_get_ns", 5);
        // "hi\0\0" at fp-8
        def("trace_printk", 6, null, (c, m) -> c.stW(R10, -8, 0x6968).movReg(R1, R10).addImm(R1, -8).mov(R2, 4));
        noArgs("get_prandom_u32", 7);
        noArgs("get_smp_processor_id", 8);
        def("tail_call", 12, "progArray", (c, m) -> c.movReg(R1, R6).ldMap(R2, m.progArray()).mov(R3, 0));
        noArgs("get_current_pid_tgid", 14);
        noArgs("get_current_uid_gid", 15);
        def("get_current_comm", 16, null, (c, m) -> c.movReg(R1, R10).addImm(R1, -16).mov(R2, 16));
        def("redirect", 23, null, (c, m) -> c.mov(R1, 1).mov(R2, 0));
        // BPF_F_CURRENT_CPU = 0xffffffff
        def("perf_event_output", 25, "perfArray", (c, m) -> c.movReg(R1, R6).ldMap(R2, m.perfArray())
                .mov32(R3, -1).movReg(R4, R10).addImm(R4, -8).mov(R5, 8));
        def("skb_load_bytes", 26, null, (c, m) -> c.movReg(R1, R6).mov(R2, 0).movReg(R3, R10).addImm(R3, -8)
                .mov(R4, 8));
        def("get_stackid", 27, "stackTrace", (c, m) -> c.movReg(R1, R6).ldMap(R2, m.stackTrace()).mov(R3, 0));
        def("csum_diff", 28, null, (c, m) -> c.mov(R1, 0).mov(R2, 0).mov(R3, 0).mov(R4, 0).mov(R5, 0));
        noArgs("get_current_task", 35);
        def("probe_write_user", 36, null, (c, m) -> c.mov(R1, 0).movReg(R2, R10).addImm(R2, -8).mov(R3, 8));
        def("xdp_adjust_head", 44, null, (c, m) -> c.movReg(R1, R6).mov(R2, 0));
        readLike("probe_read_str", 45);
        def("get_socket_cookie", 46, null, (c, m) -> c.movReg(R1, R6));
        def("override_return", 58, null, (c, m) -> c.movReg(R1, R6).mov(R2, 0), "CONFIG_BPF_KPROBE_OVERRIDE");
        def("get_stack", 67, null, (c, m) -> c.movReg(R1, R6).movReg(R2, R10).addImm(R2, -64).mov(R3, 64)
                .mov(R4, 0));
        noArgs("get_current_cgroup_id", 80);
        def("send_signal", 109, null, (c, m) -> c.mov(R1, 0));
        readLike("probe_read_user", 112);
        readLike("probe_read_kernel", 113);
        readLike("probe_read_user_str", 114);
        readLike("probe_read_kernel_str", 115);
        noArgs("jiffies64", 118);
        def("get_ns_current_pid_tgid", 120, null, (c, m) -> c.mov(R1, 0).mov(R2, 0).movReg(R3, R10)
                .addImm(R3, -16).mov(R4, 8));
        noArgs("ktime_get_boot_ns", 125);
        def("ringbuf_output", 130, "ringbuf", (c, m) -> c.ldMap(R1, m.ringbuf()).movReg(R2, R10).addImm(R2, -8)
                .mov(R3, 8).mov(R4, 0));
        ringbufPair("ringbuf_reserve", 131, 132);
        ringbufPair("ringbuf_submit", 132, 132);
        ringbufPair("ringbuf_discard", 133, 133);
        noArgs("get_current_task_btf", 158);
        noArgs("ktime_get_coarse_ns", 160);
        def("get_func_ip", 173, null, (c, m) -> c.movReg(R1, R6));
        def("get_attach_cookie", 174, null, (c, m) -> c.movReg(R1, R6));
        noArgs("ktime_get_tai_ns", 208);
    }

    /** Helpers that kernel lockdown removes: name → the lockdown mode from which on they are gone. */
    static String lockdownMode(String helper) {
        return switch (helper) {
            case "probe_write_user" -> "integrity";
            case "probe_read", "probe_read_str", "probe_read_kernel", "probe_read_kernel_str" -> "confidentiality";
            default -> null;
        };
    }

    /** The names, in probe order. */
    static List<String> names() {
        return new ArrayList<>(ALL.keySet());
    }

    /** The whole probe program for {@code h}: prologue, the call, {@code r0 = 0; exit}. */
    static long[] program(Helper h, Maps maps) {
        Insns c = new Insns().movReg(R6, R1);
        for (int off = -8; off >= -64; off -= 8) c.stDw(R10, off, 0);
        h.call().accept(c, maps);
        return c.ret(0).toArray();
    }

    private Helpers() {
    }
}
