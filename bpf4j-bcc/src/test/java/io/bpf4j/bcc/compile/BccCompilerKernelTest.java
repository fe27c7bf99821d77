package io.bpf4j.bcc.compile;

import io.bpf4j.core.BpfObject;
import io.bpf4j.core.object.ObjectSpec;
import io.bpf4j.testing.KernelTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** bcc-dialect sources compiled with clang against this kernel's vmlinux.h and loaded into this kernel. */
@KernelTest
class BccCompilerKernelTest {
    @TempDir
    static Path cache;
    static BccCompiler compiler;

    @BeforeAll
    static void compiler() {
        compiler = BccCompiler.create(cache.resolve("bcc"),
                List.of(Path.of("/usr/local/bin"), Path.of("/usr/bin"), Path.of("/bin")));
    }

    private static BpfObject load(CompiledSource compiled) {
        return BpfObject.load(ObjectSpec.read(compiled.object()));
    }

    @Test
    void everyMapMacroAndMethodCompilesAndLoads() {
        String source = """
                #include <uapi/linux/ptrace.h>
                #include <linux/sched.h>

                struct key_t { u32 pid; char comm[TASK_COMM_LEN]; };
                struct event_t { u32 pid; u64 ts; char comm[TASK_COMM_LEN]; };
                struct lpm_key { u32 prefixlen; u32 addr; };

                BPF_HASH(plain);
                BPF_HASH(by_pid, u32);
                BPF_HASH(starts, u32, u64);
                BPF_HASH(sized, struct key_t, u64, 1024);
                BPF_ARRAY(slots);
                BPF_ARRAY(flags, u32, 4);
                BPF_HISTOGRAM(dist);
                BPF_HISTOGRAM(keyed, struct key_t);
                BPF_PERCPU_HASH(pc_hash, u32, u64);
                BPF_PERCPU_ARRAY(pc_array, u64, 2);
                BPF_PERF_OUTPUT(events);
                BPF_RINGBUF_OUTPUT(ring, 8);
                BPF_STACK_TRACE(stacks, 128);
                BPF_LPM_TRIE(trie, struct lpm_key, u64, 16);
                BPF_PROG_ARRAY(jumps, 4);
                BPF_TABLE("hash", u32, u64, table_hash, 64);
                BPF_TABLE("percpu_array", int, u64, table_pc, 2);
                BPF_TABLE("histogram", struct key_t, u64, table_hist, 64);
                BPF_QUEUE(queue, u64, 16);

                TRACEPOINT_PROBE(syscalls, sys_enter_getpid) {
                    u32 pid = bpf_get_current_pid_tgid() >> 32;
                    u64 ts = bpf_ktime_get_ns(), zero = 0, one = 1;
                    struct key_t key = {.pid = pid};
                    bpf_get_current_comm(&key.comm, sizeof(key.comm));
                    plain.update(&ts, &ts);
                    by_pid.insert(&pid, &ts);
                    u64 *start = starts.lookup(&pid);
                    if (start) { u64 delta = ts - *start; dist.increment(bpf_log2l(delta)); }
                    starts.delete(&pid);
                    u64 *c = sized.lookup_or_try_init(&key, &zero);
                    if (c) { (*c)++; }
                    c = sized.lookup_or_init(&key, &zero);
                    slots.increment(0);
                    slots.atomic_increment(1, 2);
                    flags.update(&(int){0}, &(u32){1});
                    keyed.increment(key);
                    pc_hash.increment(pid);
                    pc_array.increment(1);
                    table_hash.increment(pid, 3);
                    table_pc.increment(0);
                    table_hist.increment(key);
                    struct event_t e = {.pid = pid, .ts = ts};
                    bpf_get_current_comm(&e.comm, sizeof(e.comm));
                    events.perf_submit(args, &e, sizeof(e));
                    ring.ringbuf_output(&e, sizeof(e), 0);
                    struct event_t *r = ring.ringbuf_reserve(sizeof(struct event_t));
                    if (r) { r->pid = pid; ring.ringbuf_submit(r, 0); }
                    r = ring.ringbuf_reserve(sizeof(struct event_t));
                    if (r) { ring.ringbuf_discard(r, 0); }
                    int id = stacks.get_stackid(args, BPF_F_USER_STACK);
                    queue.push(&ts, 0);
                    u64 v;
                    queue.pop(&v);
                    queue.peek(&v);
                    jumps.call(args, 1);
                    bpf_trace_printk("pid %d stack %d\\n", pid, id);
                    return 0;
                }
                """;
        CompiledSource compiled = compiler.compile(source, BccOptions.defaults("maps.c"));
        assertThat(compiled.autoAttach()).containsExactly(new AutoAttach("tracepoint__syscalls__sys_enter_getpid",
                AutoAttach.Kind.TRACEPOINT, "syscalls:sys_enter_getpid"));
        try (BpfObject object = load(compiled)) {
            assertThat(object.maps().keySet()).contains("plain", "by_pid", "starts", "sized", "slots", "flags",
                    "dist", "keyed", "pc_hash", "pc_array", "events", "ring", "stacks", "trie", "jumps",
                    "table_hash", "table_pc", "table_hist", "queue");
            assertThat(object.programs()).containsKey("tracepoint__syscalls__sys_enter_getpid");
        }
    }
}
