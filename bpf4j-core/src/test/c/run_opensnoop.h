// What the two run_opensnoop fixtures share: the tracepoint's arguments, the event, the per-process count and the
// pid filter. They differ only in how the event leaves the kernel (ring buffer or perf buffer).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The tracepoint's own layout (events/syscalls/sys_enter_openat/format): no kernel headers needed. */
struct sys_enter_openat_args {
    __u64 common;
    int nr;
    int pad;
    __s64 dfd;
    const char *filename;
    __s64 flags;
    __s64 mode;
};

struct event {
    __u32 pid;
    char comm[16];
    char filename[64];
};

const struct event *unused_event __attribute__((unused));

const volatile __u32 target_pid = 0;   /* 0: every process; set with --set target_pid=N */

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, __u32);
    __type(value, __u64);
} opens_by_pid SEC(".maps");

/* Counts the open for the current process; returns its pid, or 0 when the pid filter leaves it out. */
static __always_inline __u32 count_open(void)
{
    __u32 pid = bpf_get_current_pid_tgid() >> 32;
    if (target_pid && pid != target_pid)
        return 0;
    __u64 one = 1, *n = bpf_map_lookup_elem(&opens_by_pid, &pid);
    if (n)
        __sync_fetch_and_add(n, 1);
    else
        bpf_map_update_elem(&opens_by_pid, &pid, &one, BPF_NOEXIST);
    return pid;
}

static __always_inline void fill_event(struct event *e, __u32 pid, struct sys_enter_openat_args *ctx)
{
    e->pid = pid;
    bpf_get_current_comm(e->comm, sizeof(e->comm));
    bpf_probe_read_user_str(e->filename, sizeof(e->filename), ctx->filename);
}

char LICENSE[] SEC("license") = "GPL";
