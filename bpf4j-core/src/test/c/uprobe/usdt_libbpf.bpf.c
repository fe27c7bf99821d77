// A USDT program written for libbpf's usdt.bpf.h, unchanged: BPF_USDT reads the arguments through
// __bpf_usdt_specs and the link's cookie. Records the sum of arg1, the last arg2, and the hit count.
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <stdbool.h>
#include <bpf/usdt.bpf.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 3);
    __type(key, __u32);
    __type(value, __u64);
} usdt_out SEC(".maps");

SEC("usdt")
int BPF_USDT(on_tick, int i, long k) {
    __u32 key = 0;
    __u64 *v = bpf_map_lookup_elem(&usdt_out, &key);
    if (v) __sync_fetch_and_add(v, 1);
    key = 1;
    v = bpf_map_lookup_elem(&usdt_out, &key);
    if (v) __sync_fetch_and_add(v, (__u64) i);
    key = 2;
    v = bpf_map_lookup_elem(&usdt_out, &key);
    if (v) *v = (__u64) k;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
