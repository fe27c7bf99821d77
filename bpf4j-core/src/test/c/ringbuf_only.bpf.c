// A ring buffer program without any legacy "maps" section: only a BTF-defined ring buffer, written from a
// raw tracepoint.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 64 * 1024);
} rb SEC(".maps");

SEC("raw_tp/sys_enter")
int on_sys_enter(void *ctx)
{
    __u64 id = bpf_get_current_pid_tgid();
    bpf_ringbuf_output(&rb, &id, sizeof(id), 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
