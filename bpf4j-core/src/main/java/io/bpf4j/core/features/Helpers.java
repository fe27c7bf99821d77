package io.bpf4j.core.features;

import io.bpf4j.core.BpfMap;
import io.bpf4j.core.asm.Assembler;
import io.bpf4j.core.asm.Helper;
import io.bpf4j.core.asm.Instructions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

import static io.bpf4j.core.asm.Register.R0;
import static io.bpf4j.core.asm.Register.R1;
import static io.bpf4j.core.asm.Register.R10;
import static io.bpf4j.core.asm.Register.R2;
import static io.bpf4j.core.asm.Register.R3;
import static io.bpf4j.core.asm.Register.R4;
import static io.bpf4j.core.asm.Register.R5;
import static io.bpf4j.core.asm.Register.R6;

/**
 * The common helpers the probe checks and a legal call of each: the probe program sets up real arguments, so a
 * load failure means the helper is missing or the program type may not call it, not that the arguments were
 * wrong.
 *
 * <p>Every probe program starts with {@code r6 = ctx} and eight zeroed stack slots at fp-8 … fp-64.
 */
final class Helpers {
    /** The maps a helper probe may pass (null when the map could not be created). */
    record Maps(BpfMap hash, BpfMap progArray, BpfMap perfArray, BpfMap stackTrace, BpfMap ringbuf) {
    }

    /** One helper: its name without {@code bpf_}, the helper, which map it needs and how to call it. */
    record HelperProbe(String name, Helper helper, String map, BiConsumer<Assembler, Maps> call, String config) {
        /** The helper's {@code bpf_func_id}, as the verifier names it ("unknown func bpf_xyz#58"). */
        int id() {
            return helper.id();
        }
    }

    static final Map<String, HelperProbe> ALL = new LinkedHashMap<>();

    private static void def(String name, String map, BiConsumer<Assembler, Maps> args) {
        def(name, map, args, null);
    }

    private static void def(String name, String map, BiConsumer<Assembler, Maps> args, String config) {
        Helper helper = Helper.byName(name).orElseThrow();
        ALL.put(name, new HelperProbe(name, helper, map, (c, m) -> {
            args.accept(c, m);
            c.call(helper);
        }, config));
    }

    private static void noArgs(String name) {
        def(name, null, (c, m) -> { });
    }

    /** r1 = fp-16, r2 = 8, r3 = 0: a probe_read-style call. */
    private static void readLike(String name) {
        def(name, null, (c, m) -> c.mov64(R1, R10).add64(R1, -16).mov64(R2, 8).mov64(R3, 0));
    }

    /** ringbuf_reserve, then (unless it returned NULL) {@code release} of the record. */
    private static void ringbufPair(String name, Helper release) {
        ALL.put(name, new HelperProbe(name, Helper.byName(name).orElseThrow(), "ringbuf", (c, m) -> c
                .loadMapFd(R1, m.ringbuf()).mov64(R2, 8).mov64(R3, 0).call(Helper.RINGBUF_RESERVE)
                .jeq(R0, 0, "out")
                .mov64(R1, R0).mov64(R2, 0).call(release), null));
    }

    static {
        def("map_lookup_elem", "hash", (c, m) -> c.loadMapFd(R1, m.hash()).mov64(R2, R10).add64(R2, -8));
        def("map_update_elem", "hash", (c, m) -> c.loadMapFd(R1, m.hash()).mov64(R2, R10).add64(R2, -8)
                .mov64(R3, R10).add64(R3, -16).mov64(R4, 0));
        def("map_delete_elem", "hash", (c, m) -> c.loadMapFd(R1, m.hash()).mov64(R2, R10).add64(R2, -8));
        readLike("probe_read");
        noArgs("ktime_get_ns");
        // "hi\0\0" at fp-8
        def("trace_printk", null, (c, m) -> c.stW(R10, -8, 0x6968).mov64(R1, R10).add64(R1, -8).mov64(R2, 4));
        noArgs("get_prandom_u32");
        noArgs("get_smp_processor_id");
        def("tail_call", "progArray", (c, m) -> c.mov64(R1, R6).loadMapFd(R2, m.progArray()).mov64(R3, 0));
        noArgs("get_current_pid_tgid");
        noArgs("get_current_uid_gid");
        def("get_current_comm", null, (c, m) -> c.mov64(R1, R10).add64(R1, -16).mov64(R2, 16));
        def("redirect", null, (c, m) -> c.mov64(R1, 1).mov64(R2, 0));
        // BPF_F_CURRENT_CPU = 0xffffffff
        def("perf_event_output", "perfArray", (c, m) -> c.mov64(R1, R6).loadMapFd(R2, m.perfArray())
                .mov32(R3, -1).mov64(R4, R10).add64(R4, -8).mov64(R5, 8));
        def("skb_load_bytes", null, (c, m) -> c.mov64(R1, R6).mov64(R2, 0).mov64(R3, R10).add64(R3, -8)
                .mov64(R4, 8));
        def("get_stackid", "stackTrace", (c, m) -> c.mov64(R1, R6).loadMapFd(R2, m.stackTrace()).mov64(R3, 0));
        def("csum_diff", null, (c, m) -> c.mov64(R1, 0).mov64(R2, 0).mov64(R3, 0).mov64(R4, 0).mov64(R5, 0));
        noArgs("get_current_task");
        def("probe_write_user", null, (c, m) -> c.mov64(R1, 0).mov64(R2, R10).add64(R2, -8).mov64(R3, 8));
        def("xdp_adjust_head", null, (c, m) -> c.mov64(R1, R6).mov64(R2, 0));
        readLike("probe_read_str");
        def("get_socket_cookie", null, (c, m) -> c.mov64(R1, R6));
        def("override_return", null, (c, m) -> c.mov64(R1, R6).mov64(R2, 0), "CONFIG_BPF_KPROBE_OVERRIDE");
        def("get_stack", null, (c, m) -> c.mov64(R1, R6).mov64(R2, R10).add64(R2, -64).mov64(R3, 64)
                .mov64(R4, 0));
        noArgs("get_current_cgroup_id");
        def("send_signal", null, (c, m) -> c.mov64(R1, 0));
        readLike("probe_read_user");
        readLike("probe_read_kernel");
        readLike("probe_read_user_str");
        readLike("probe_read_kernel_str");
        noArgs("jiffies64");
        def("get_ns_current_pid_tgid", null, (c, m) -> c.mov64(R1, 0).mov64(R2, 0).mov64(R3, R10)
                .add64(R3, -16).mov64(R4, 8));
        noArgs("ktime_get_boot_ns");
        def("ringbuf_output", "ringbuf", (c, m) -> c.loadMapFd(R1, m.ringbuf()).mov64(R2, R10).add64(R2, -8)
                .mov64(R3, 8).mov64(R4, 0));
        ringbufPair("ringbuf_reserve", Helper.RINGBUF_SUBMIT);
        ringbufPair("ringbuf_submit", Helper.RINGBUF_SUBMIT);
        ringbufPair("ringbuf_discard", Helper.RINGBUF_DISCARD);
        noArgs("get_current_task_btf");
        noArgs("ktime_get_coarse_ns");
        def("get_func_ip", null, (c, m) -> c.mov64(R1, R6));
        def("get_attach_cookie", null, (c, m) -> c.mov64(R1, R6));
        noArgs("ktime_get_tai_ns");
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

    /** The whole probe program for {@code h}: prologue, the call, {@code out: r0 = 0; exit}. */
    static Instructions program(HelperProbe h, Maps maps) {
        Assembler c = new Assembler().mov64(R6, R1);
        for (int off = -8; off >= -64; off -= 8) c.stDW(R10, off, 0);
        h.call().accept(c, maps);
        return c.label("out").mov64(R0, 0).exit().build();
    }

    private Helpers() {
    }
}
