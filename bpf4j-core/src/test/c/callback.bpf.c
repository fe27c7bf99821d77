// A program that passes a static function's address to bpf_loop: the ld_imm64 of a function
// (BPF_PSEUDO_FUNC) links the callback into the program. The kernel needs BTF func_info to load it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static long add_index(__u32 index, void *ctx)
{
    __u64 *sum = ctx;
    *sum += index;
    return 0;
}

SEC("syscall")
int sum_loop(void *ctx)
{
    __u64 sum = 0;
    bpf_loop(4, add_index, &sum, 0);
    return sum;
}

char LICENSE[] SEC("license") = "GPL";
