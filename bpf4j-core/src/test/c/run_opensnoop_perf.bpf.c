// opensnoop in miniature through a perf buffer (run_opensnoop.bpf.c uses a ring buffer), for `bpf4j run`.
#include "run_opensnoop.h"

struct {
    __uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct sys_enter_openat_args *ctx)
{
    __u32 pid = count_open();
    if (!pid)
        return 0;
    struct event e = {};
    fill_event(&e, pid, ctx);
    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &e, sizeof(e));
    return 0;
}
