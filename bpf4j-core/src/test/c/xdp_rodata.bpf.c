// XDP with an array map and a `const volatile` knob in .rodata (set before load, frozen after), plus .data
// and .bss globals.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} packets SEC(".maps");

const volatile __u32 verdict = XDP_PASS;
const volatile __u64 magic = 0x1122334455667788ULL;
__u64 seen = 7;         /* .data */
__u64 dropped;          /* .bss */

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&packets, &key);
    if (v)
        __sync_fetch_and_add(v, 1);
    seen++;
    if (verdict == XDP_DROP)
        dropped++;
    return verdict;
}

SEC("xdp.frags")
int xdp_frags_pass(struct xdp_md *ctx)
{
    return magic == 0x1122334455667788ULL ? XDP_PASS : XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
