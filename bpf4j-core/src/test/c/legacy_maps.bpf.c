// Maps declared the legacy way (struct bpf_map_def in the "maps" section): a ring buffer and a hash; a kconfig
// extern, and a version section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def_legacy {
    unsigned int type;
    unsigned int key_size;
    unsigned int value_size;
    unsigned int max_entries;
    unsigned int map_flags;
};

struct bpf_map_def_legacy rb SEC("maps") = {
    .type = BPF_MAP_TYPE_RINGBUF,
    .max_entries = 4096 * 4,
};

struct bpf_map_def_legacy legacy_hash SEC("maps") = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = 4,
    .value_size = 8,
    .max_entries = 64,
};

extern unsigned int LINUX_KERNEL_VERSION __kconfig __weak;

SEC("tracepoint/sched/sched_process_exec")
int on_exec(void *ctx)
{
    __u32 *e = bpf_ringbuf_reserve(&rb, sizeof(__u32), 0);
    if (!e)
        return 0;
    *e = LINUX_KERNEL_VERSION;
    bpf_ringbuf_submit(e, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
__u32 _version SEC("version") = 0x061200;
