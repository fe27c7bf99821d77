// Events for EventStreamTest: each run of the program (by BPF_PROG_TEST_RUN) numbers one event and sends it to a
// ring buffer and to a perf buffer. The ring buffer is one page, so a test can fill it; what it refuses is
// counted in a per-CPU array, as the tools' bpf4j_reserve does (a ring buffer keeps no such count itself).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
    __u64 seq;
    __u32 cpu;
    __u32 magic;
};

/* clang emits BTF only for types that something global refers to: this makes struct event's BTF exist. */
const struct event *unused_event __attribute__((unused));

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} ring SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} perf SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} ring_lost SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} seq SEC(".maps");

SEC("raw_tp/sys_enter")
int emit(void *ctx)
{
    __u32 zero = 0;
    __u64 *next = bpf_map_lookup_elem(&seq, &zero);
    if (!next)
        return 0;
    struct event e = {
        .seq = __sync_fetch_and_add(next, 1),
        .cpu = bpf_get_smp_processor_id(),
        .magic = 0x0bf4face,
    };
    if (bpf_ringbuf_output(&ring, &e, sizeof(e), 0)) {
        __u64 *lost = bpf_map_lookup_elem(&ring_lost, &zero);
        if (lost)
            (*lost)++;
    }
    bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
