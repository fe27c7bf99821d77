// opensnoop in miniature, for `bpf4j run`: an event per openat with the file name (through a ring buffer), and a
// count per process.
#include "run_opensnoop.h"

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct sys_enter_openat_args *ctx)
{
    __u32 pid = count_open();
    if (!pid)
        return 0;
    struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
    if (!e)
        return 0;
    fill_event(e, pid, ctx);
    bpf_ringbuf_submit(e, 0);
    return 0;
}
