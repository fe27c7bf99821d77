// A uprobe whose section names its target (libbpf's uprobe/BINARY:FUNCTION): AutoAttach attaches it unaided.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 exits = 0;

SEC("uprobe/libc.so.6:exit")
int count_exit(void *ctx)
{
    __sync_fetch_and_add(&exits, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
