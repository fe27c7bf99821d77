// A map of maps with a BTF-defined inner map and initial values, and a prog array with an initial slot.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
} inner_a SEC(".maps"), inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, struct inner);
} outer SEC(".maps") = {
    .values = { [0] = &inner_a, [2] = &inner_b },
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __uint(map_flags, BPF_F_NO_PREALLOC);
    __type(key, __u64);
    __type(value, __u32);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} pinned_hash SEC(".maps");

int tail(void *ctx);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __uint(key_size, sizeof(__u32));
    __array(values, int (void *));
} jumps SEC(".maps") = {
    .values = { [1] = (void *)&tail },
};

SEC("raw_tp/sys_enter")
int tail(void *ctx)
{
    return 1;
}

SEC("raw_tp/sys_enter")
int lookup_inner(void *ctx)
{
    __u32 key = 0;
    void *m = bpf_map_lookup_elem(&outer, &key);
    if (!m)
        return 0;
    __u32 *v = bpf_map_lookup_elem(m, &key);
    bpf_tail_call(ctx, &jumps, 1);
    return v ? *v : 0;
}

char LICENSE[] SEC("license") = "GPL";
