// Fails verification on purpose: a map value is dereferenced without checking bpf_map_lookup_elem's result
// for NULL. The loader must name this file's line in the VerifierException.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH); /* an array lookup with a constant key is known non-NULL */
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} counters SEC(".maps");

SEC("syscall")
int bump_unchecked(void *ctx)
{
    __u32 key = 0;
    __u64 *value = bpf_map_lookup_elem(&counters, &key);
    *value += 1; /* no NULL check: the verifier says R0 invalid mem access 'map_value_or_null' */
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
